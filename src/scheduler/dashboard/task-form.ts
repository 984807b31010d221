/**
 * The new-task form, server side: turns the posted fields into the same task
 * body the JSON API takes, so `validateNewTask` (tasks/validate-task.ts) judges
 * both alike, and maps its problems back to the form's fields. Empty optional
 * fields mean "the default"; text that is not a number is passed on as text so
 * the validation names the field instead of the form guessing.
 */
import type { FieldProblem } from "../../core/errors.ts";
import { validateNewTask, type Checked } from "../tasks/validate-task.ts";
import type { NewTask } from "../../db/queries/insert-tasks.ts";
import { QUEUE_DEFAULT } from "../../core/queue-name.ts";
import { BACKOFF_FACTOR_DEFAULT, BACKOFF_MAX_MS_DEFAULT, BACKOFF_MS_DEFAULT, MAX_RETRIES_DEFAULT } from "../../core/retry-policy.ts";

/** The form's fields as typed (all text, as the browser sends them). */
export interface NewTaskFormValues {
  name: string;
  command: string;
  queue: string;
  priority: string;
  when: "now" | "at" | "delay";
  /** datetime-local value, read in the offset below. */
  run_at: string;
  /** Minutes east of UTC of the browser (set by live-times.js; UTC without JavaScript). */
  tz_offset: string;
  delay_amount: string;
  delay_unit: "s" | "min" | "h";
  max_retries: string;
  backoff_ms: string;
  backoff_factor: string;
  backoff_max_ms: string;
  timeout_ms: string;
  /** NAME=value lines. */
  env: string;
  idempotency_key: string;
}

/** A problem per form field (by the names above; `delay_amount` for the delay), plus problems no field owns. */
export interface NewTaskFormErrors {
  fields: Partial<Record<keyof NewTaskFormValues, string>>;
  other: string[];
}

/** The form as first shown: the API's defaults. */
export const NEW_TASK_DEFAULTS: NewTaskFormValues = {
  name: "",
  command: "",
  queue: QUEUE_DEFAULT,
  priority: "0",
  when: "now",
  run_at: "",
  tz_offset: "0",
  delay_amount: "",
  delay_unit: "s",
  max_retries: String(MAX_RETRIES_DEFAULT),
  backoff_ms: String(BACKOFF_MS_DEFAULT),
  backoff_factor: String(BACKOFF_FACTOR_DEFAULT),
  backoff_max_ms: String(BACKOFF_MAX_MS_DEFAULT),
  timeout_ms: "",
  env: "",
  idempotency_key: "",
};

const UNIT_MS = { s: 1000, min: 60_000, h: 3_600_000 } as const;
const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?$/;
const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

/** The posted form's values, with the defaults for fields a browser left out. */
export function readTaskForm(form: URLSearchParams): NewTaskFormValues {
  const text = (name: keyof NewTaskFormValues) => form.get(name) ?? NEW_TASK_DEFAULTS[name];
  const when = text("when");
  const unit = text("delay_unit");
  return {
    ...NEW_TASK_DEFAULTS,
    ...Object.fromEntries(Object.keys(NEW_TASK_DEFAULTS).map((k) => [k, text(k as keyof NewTaskFormValues)])),
    // Browsers send textarea newlines as CRLF; a shell would see the CR as part of each line.
    command: text("command").replace(/\r\n?/g, "\n"),
    env: text("env").replace(/\r\n?/g, "\n"),
    when: when === "at" || when === "delay" ? when : "now",
    delay_unit: unit === "min" || unit === "h" ? unit : "s",
  };
}

/** The API body the form describes, and the problems only the form can have (env lines). */
export function taskBodyFromForm(v: NewTaskFormValues): { body: Record<string, unknown>; problems: FieldProblem[] } {
  const body: Record<string, unknown> = { name: v.name, command: v.command };
  const problems: FieldProblem[] = [];
  const optional = (field: string, value: string) => {
    if (value.trim() !== "") body[field] = numberOrText(value);
  };
  if (v.queue.trim() !== "") body.queue = v.queue.trim();
  optional("priority", v.priority);
  if (v.when === "at") body.run_at = withOffset(v.run_at.trim(), v.tz_offset);
  if (v.when === "delay") {
    const amount = numberOrText(v.delay_amount);
    body.delay_ms = typeof amount === "number" ? Math.round(amount * UNIT_MS[v.delay_unit]) : amount;
  }
  optional("max_retries", v.max_retries);
  optional("backoff_ms", v.backoff_ms);
  optional("backoff_factor", v.backoff_factor);
  optional("backoff_max_ms", v.backoff_max_ms);
  optional("timeout_ms", v.timeout_ms);
  if (v.idempotency_key !== "") body.idempotency_key = v.idempotency_key;
  const env = parseEnvLines(v.env);
  if (Object.keys(env.vars).length > 0) body.env = env.vars;
  problems.push(...env.problems);
  return { body, problems };
}

/** Validates the form with the API's rules: the task to insert, or every problem. */
export function checkTaskForm(v: NewTaskFormValues): Checked<NewTask> {
  const { body, problems } = taskBodyFromForm(v);
  const checked = validateNewTask(body);
  if (checked.ok && problems.length === 0) return checked;
  return { ok: false, problems: [...problems, ...(checked.ok ? [] : checked.problems)] };
}

/** Puts each problem beside the form field it concerns; several on one field are joined. */
export function formErrors(problems: FieldProblem[]): NewTaskFormErrors {
  const fields: NewTaskFormErrors["fields"] = {};
  const other: string[] = [];
  const add = (field: keyof NewTaskFormValues, message: string) => {
    fields[field] = fields[field] ? `${fields[field]}; ${message}` : message;
  };
  for (const p of problems) {
    const [, top = "", ...rest] = p.path.split("/");
    if (top === "env") add("env", rest.length ? `${unescapePointer(rest.join("/"))}: ${p.message}` : p.message);
    // The API counts milliseconds; the form asks for an amount in a unit.
    else if (top === "delay_ms") add("delay_amount", p.message.startsWith("must be an integer") ? "must be a number from 0 up to one year" : p.message);
    else if (top in NEW_TASK_DEFAULTS) add(top as keyof NewTaskFormValues, p.message);
    else other.push(p.path === "/" ? p.message : `${p.path.slice(1)}: ${p.message}`);
  }
  return { fields, other };
}

/**
 * NAME=value lines into variables; blank lines are skipped and the value keeps
 * everything after the first "=". Lines without "=" and repeated names are problems.
 */
export function parseEnvLines(text: string): { vars: Record<string, string>; problems: FieldProblem[] } {
  const vars: Record<string, string> = {};
  const problems: FieldProblem[] = [];
  text.split(/\r\n|\r|\n/).forEach((line, i) => {
    if (line.trim() === "") return;
    const eq = line.indexOf("=");
    if (eq <= 0) {
      problems.push({ path: "/env", message: `line ${i + 1}: write NAME=value` });
      return;
    }
    const name = line.slice(0, eq).trim();
    if (Object.hasOwn(vars, name)) problems.push({ path: "/env", message: `line ${i + 1}: ${name} is set twice` });
    vars[name] = line.slice(eq + 1);
  });
  return { vars, problems };
}

/** A datetime-local value with the browser's UTC offset appended; anything else as typed. */
function withOffset(local: string, offsetMinutes: string): string {
  if (!LOCAL_TIME.test(local)) return local;
  const minutes = /^-?\d{1,4}$/.test(offsetMinutes) ? Number(offsetMinutes) : 0;
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.min(Math.abs(minutes), 23 * 60 + 59);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/**
 * A typed number as a number; anything else as the text, so the validation names the field.
 *
 * @example numberOrText(" 5 ") // 5
 * @example numberOrText("high") // "high"
 */
export function numberOrText(s: string): number | string {
  const t = s.trim();
  return NUMBER.test(t) ? Number(t) : t;
}

/** A JSON pointer segment as text ("a~1b" → "a/b"). */
export function unescapePointer(s: string): string {
  return s.replace(/~1/g, "/").replace(/~0/g, "~");
}
