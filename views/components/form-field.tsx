/**
 * A labelled form control with its hint and, after a refused submit, its error
 * right beside it (linked with aria-describedby so screen readers read it too).
 */
import type { Children } from "@kitajs/html";
import { attributeText } from "../attribute-text.ts";

export interface FormFieldProps {
  /** The control's id (its `for`). */
  id: string;
  label: string;
  hint?: string;
  /** The problem the validation found with this field, if any. */
  error?: string;
  class?: string;
  children?: Children;
}

export function FormField({ id, label, hint, error, class: extra, children }: FormFieldProps) {
  const cls = ["form-field", extra, error !== undefined ? "has-error" : undefined].filter(Boolean).join(" ");
  return (
    <div class={cls}>
      <label for={id} safe>
        {label}
      </label>
      {children}
      {hint !== undefined && (
        <small class="hint" id={`${id}-hint`} safe>
          {hint}
        </small>
      )}
      {error !== undefined && (
        <p class="field-error" id={`${id}-error`} safe>
          {error}
        </p>
      )}
    </div>
  );
}

/** aria attributes for a control whose FormField may show a hint and an error. */
export function describedBy(id: string, hint: boolean, error: string | undefined) {
  const ids = [hint ? `${id}-hint` : null, error !== undefined ? `${id}-error` : null].filter(Boolean).join(" ");
  return { "aria-describedby": ids || undefined, "aria-invalid": error !== undefined ? "true" : undefined };
}

/**
 * The summary above a refused form: what was not done, and problems that belong to
 * no single field (each field's own error stands beside it).
 */
export function FormErrors({ refused, message, other }: { refused: boolean; message: string; other: string[] }) {
  return (
    <>
      {refused && (
        <p class="error-box" role="alert" safe>
          {message}
        </p>
      )}
      {other.length > 0 && (
        <ul class="error-box">
          {other.map((m) => (
            <li safe>{m}</li>
          ))}
        </ul>
      )}
    </>
  );
}

/**
 * What a form page needs to lay out its controls: each field's error, the problems no
 * field owns, where the cursor starts (the first refused field, else `first`), and the
 * common props of a text input (id, name, escaped value, autofocus, aria-describedby).
 */
export function formControls<K extends string>(
  values: Record<K, string>,
  errors: { fields: Partial<Record<K, string>>; other: string[] } | undefined,
  order: K[],
  first: K,
) {
  const e: Partial<Record<K, string>> = errors?.fields ?? {};
  const firstError = order.find((f) => e[f] !== undefined);
  const focus = (name: K) => (errors === undefined ? name === first : name === firstError);
  const input = (name: K, hint: boolean) => ({
    id: `f-${name}`,
    name,
    value: attributeText(values[name]),
    autofocus: focus(name),
    ...describedBy(`f-${name}`, hint, e[name]),
  });
  return { e, other: errors?.other ?? [], focus, input };
}
