/**
 * How much of a client's own input an answer may repeat. A refused form is shown
 * again with what was typed, and errors may quote a bad value; neither may turn
 * a large body into an equally large answer (a 1 MiB name must not come back as
 * a 1 MiB page), so echoed values are cut to a prefix.
 */

/** A quoted value in an error message: this many characters at most. */
export const ECHO_MAX_CHARS = 100;
/** Form fields that hold commands or env lines, re-shown for editing: up to a command's size. */
const LONG_FIELD_MAX_CHARS = 64 * 1024;
/** Every other form field (names, numbers, cron, queue, …). */
const SHORT_FIELD_MAX_CHARS = 1024;

/**
 * `value` cut to `max` characters, marked with "…" when cut.
 * @example echoed("x".repeat(500)) // 100 characters ending in "…"
 */
export function echoed(value: string, max = ECHO_MAX_CHARS): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}

/** A form's values with each one cut to what re-showing it needs. */
export function clipFormValues<T extends object>(values: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) {
    out[k] = typeof v === "string" ? echoed(v, k === "command" || k === "env" ? LONG_FIELD_MAX_CHARS : SHORT_FIELD_MAX_CHARS) : v;
  }
  return out as T;
}
