/**
 * The new-schedule form, server side: turns the posted fields into the same
 * body POST /api/schedules takes, so `validateNewSchedule`
 * (schedules/validate-schedule.ts) judges both alike, and maps its problems
 * (`/cron`, `/task/priority`, `/task/env/NAME`, …) back to the form's fields.
 * Empty optional fields mean "the default"; text that is not a number is passed
 * on as text so the validation names the field instead of the form guessing.
 */
import type { FieldProblem } from "../../core/errors.ts";
import type { NewSchedule } from "../../db/queries/insert-schedule.ts";
import { validateNewSchedule } from "../schedules/validate-schedule.ts";
import type { Checked } from "../tasks/validate-task.ts";
import { numberOrText, parseEnvLines, unescapePointer } from "./task-form.ts";
import { QUEUE_DEFAULT } from "../../core/queue-name.ts";
import { MAX_RETRIES_DEFAULT } from "../../core/retry-policy.ts";
import { CATCH_UP_DEFAULT, CATCH_UP_MAX_DEFAULT, OVERLAP_DEFAULT } from "../../core/schedule-policy.ts";
import type { ScheduleView } from "../../db/queries/list-schedules.ts";
import type { ScheduleTemplate } from "../../db/queries/schedule-template.ts";

/** The form's fields as typed (all text, as the browser sends them). */
export interface NewScheduleFormValues {
  name: string;
  cron: string;
  timezone: string;
  command: string;
  queue: string;
  priority: string;
  max_retries: string;
  timeout_ms: string;
  /** NAME=value lines. */
  env: string;
  overlap: string;
  catch_up: string;
  catch_up_max: string;
}

/** A problem per form field, plus problems no field owns. */
export interface NewScheduleFormErrors {
  fields: Partial<Record<keyof NewScheduleFormValues, string>>;
  other: string[];
}

/** The form as first shown: the API's defaults. */
export const NEW_SCHEDULE_DEFAULTS: NewScheduleFormValues = {
  name: "",
  cron: "",
  timezone: "UTC",
  command: "",
  queue: QUEUE_DEFAULT,
  priority: "0",
  max_retries: String(MAX_RETRIES_DEFAULT),
  timeout_ms: "",
  env: "",
  overlap: OVERLAP_DEFAULT,
  catch_up: CATCH_UP_DEFAULT,
  catch_up_max: String(CATCH_UP_MAX_DEFAULT),
};

/** The form filled with a schedule as it is, for editing it. */
export function scheduleFormValues(s: ScheduleView): NewScheduleFormValues {
  const t = s.template as unknown as ScheduleTemplate;
  return {
    name: s.name,
    cron: s.cron,
    timezone: s.timezone,
    command: t.command,
    queue: t.queue,
    priority: String(t.priority),
    max_retries: String(t.max_retries),
    timeout_ms: t.timeout_ms === null ? "" : String(t.timeout_ms),
    env: Object.entries(t.env).map(([k, v]) => `${k}=${v}`).join("\n"),
    overlap: s.overlap,
    catch_up: s.catchUp,
    catch_up_max: String(s.catchUpMax),
  };
}

type Field = keyof NewScheduleFormValues;

/** Schedule fields (top level of the body) that are form fields of the same name. */
const SCHEDULE_FIELDS = new Set<string>(["name", "cron", "timezone", "overlap", "catch_up", "catch_up_max"]);
/** Template fields (under /task) that are form fields of the same name. */
const TASK_FIELDS = new Set<string>(["command", "queue", "priority", "max_retries", "timeout_ms", "env"]);

/** The posted form's values, with the defaults for fields a browser left out. */
export function readScheduleForm(form: URLSearchParams): NewScheduleFormValues {
  const text = (name: Field) => form.get(name) ?? NEW_SCHEDULE_DEFAULTS[name];
  const values = Object.fromEntries(Object.keys(NEW_SCHEDULE_DEFAULTS).map((k) => [k, text(k as Field)])) as unknown as NewScheduleFormValues;
  // Browsers send textarea newlines as CRLF; a shell would see the CR as part of each line.
  return { ...values, command: values.command.replace(/\r\n?/g, "\n"), env: values.env.replace(/\r\n?/g, "\n") };
}

/** The API body the form describes, and the problems only the form can have (env lines). */
export function scheduleBodyFromForm(v: NewScheduleFormValues): { body: Record<string, unknown>; problems: FieldProblem[] } {
  const task: Record<string, unknown> = { command: v.command };
  if (v.queue.trim() !== "") task.queue = v.queue.trim();
  for (const field of ["priority", "max_retries", "timeout_ms"] as const) if (v[field].trim() !== "") task[field] = numberOrText(v[field]);
  const env = parseEnvLines(v.env);
  if (Object.keys(env.vars).length > 0) task.env = env.vars;
  const body: Record<string, unknown> = { name: v.name, cron: v.cron, task, overlap: v.overlap, catch_up: v.catch_up };
  if (v.catch_up_max.trim() !== "") body.catch_up_max = numberOrText(v.catch_up_max);
  // An empty time zone means the default (UTC), as leaving it out of the JSON does.
  if (v.timezone.trim() !== "") body.timezone = v.timezone.trim();
  return { body, problems: env.problems };
}

/** Validates the form with the schedule API's rules: the schedule to insert, or every problem. */
export function checkScheduleForm(v: NewScheduleFormValues): Checked<NewSchedule> {
  const { body, problems } = scheduleBodyFromForm(v);
  const checked = validateNewSchedule(body);
  if (checked.ok && problems.length === 0) return checked;
  return { ok: false, problems: [...problems, ...(checked.ok ? [] : checked.problems)] };
}

/** Puts each problem beside the form field it concerns; several on one field are joined. */
export function scheduleFormErrors(problems: FieldProblem[]): NewScheduleFormErrors {
  const fields: NewScheduleFormErrors["fields"] = {};
  const other: string[] = [];
  const add = (field: Field, message: string) => {
    fields[field] = fields[field] ? `${fields[field]}; ${message}` : message;
  };
  for (const p of problems) {
    const [, top = "", sub = "", ...rest] = p.path.split("/");
    if (top === "env") add("env", p.message);
    else if (SCHEDULE_FIELDS.has(top)) add(top as Field, p.message);
    else if (top === "task" && sub === "env") add("env", rest.length ? `${unescapePointer(rest.join("/"))}: ${p.message}` : p.message);
    else if (top === "task" && TASK_FIELDS.has(sub)) add(sub as Field, p.message);
    else other.push(p.path === "/" ? p.message : `${p.path.slice(1)}: ${p.message}`);
  }
  return { fields, other };
}
