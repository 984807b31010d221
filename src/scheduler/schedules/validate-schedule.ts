/**
 * Validates schedule bodies (SPEC §2 "Schedules") without any HTTP, so the API
 * and the dashboard's form share it. The task template is checked by the task
 * API's own validateNewTask, so a template is accepted exactly when the same
 * task would be accepted by POST /api/tasks; its problems are reported under
 * `/task/...`. Every bad field is named, not just the first.
 */
import { canonicalTimezone, cronProblem } from "../../core/cron.ts";
import type { FieldProblem } from "../../core/errors.ts";
import type { NewSchedule } from "../../db/queries/insert-schedule.ts";
import { templateFromTask, type ScheduleTemplate } from "../../db/queries/schedule-template.ts";
import type { SchedulePatch } from "../../db/queries/update-schedule.ts";
import { validateNewTask, type Checked } from "../tasks/validate-task.ts";
import * as m from "./model.ts";
import { echoed } from "../echo-limit.ts";
import { CATCH_UP_DEFAULT, CATCH_UP_MAX_DEFAULT, CATCH_UP_MAX_LIMIT, CATCH_UP_POLICIES, OVERLAP_DEFAULT, OVERLAP_POLICIES, type CatchUp, type Overlap } from "../../core/schedule-policy.ts";

const KNOWN_FIELDS = Object.keys(m.NewScheduleBody.properties);
/** Stands in for a template's absent name while the task rules run; never stored. */
const NAME_PLACEHOLDER = "schedule";

/**
 * Checks a new schedule: the normalized schedule (time zone canonical, template
 * with task defaults) or every problem found.
 *
 * @example validateNewSchedule({ name: "nightly", cron: "0 3 * * *", task: { command: "backup.sh" } }) // ok, timezone "UTC"
 * @example validateNewSchedule({ name: "x", cron: "61 * * * *", timezone: "Mars/Olympus", task: {} }) // problems at /cron, /timezone, /task/command
 */
export function validateNewSchedule(body: unknown): Checked<NewSchedule> {
  const r = check(body, false);
  if (!r.ok) return r;
  const v = r.value;
  return {
    ok: true,
    value: {
      name: v.name!, cron: v.cron!.trim(), timezone: v.timezone ?? m.TIMEZONE_DEFAULT, template: v.template!, paused: v.paused ?? false,
      overlap: v.overlap ?? OVERLAP_DEFAULT, catchUp: v.catchUp ?? CATCH_UP_DEFAULT, catchUpMax: v.catchUpMax ?? CATCH_UP_MAX_DEFAULT,
    },
  };
}

/** Checks a PATCH body: any subset of the fields; `task` replaces the whole template. */
export function validateSchedulePatch(body: unknown): Checked<SchedulePatch> {
  const r = check(body, true);
  if (!r.ok) return r;
  return { ok: true, value: { ...r.value, ...(r.value.cron !== undefined ? { cron: r.value.cron.trim() } : {}) } };
}

function check(body: unknown, partial: boolean): Checked<SchedulePatch> {
  if (!isPlainObject(body)) return { ok: false, problems: [{ path: "/", message: "must be a JSON object" }] };
  const problems: FieldProblem[] = [];
  const report = (path: string, message: string) => problems.push({ path, message });
  for (const key of Object.keys(body)) {
    if (KNOWN_FIELDS.includes(key)) continue;
    report(`/${escapePointer(key)}`, m.SCHEDULE_READ_ONLY_FIELDS.includes(key) ? "is read-only" : "unknown field");
  }
  const given = (field: string) => body[field] !== undefined;
  const required = (field: string) => {
    if (!partial && !given(field)) report(`/${field}`, "is required");
    return given(field);
  };
  const out: SchedulePatch = {};

  if (required("name")) {
    const problem = textProblem(body.name, m.SCHEDULE_NAME_MAX_CHARS);
    if (problem) report("/name", problem === "type" ? m.SCHEDULE_FIELD_RULES.name : problem);
    else out.name = body.name as string;
  }
  if (given("timezone")) {
    const tz = typeof body.timezone === "string" ? canonicalTimezone(body.timezone) : null;
    if (tz === null) report("/timezone", typeof body.timezone === "string" ? `"${echoed(body.timezone)}" is not a known IANA time zone, like UTC or Europe/Berlin` : m.SCHEDULE_FIELD_RULES.timezone);
    else out.timezone = tz;
  }
  if (required("cron")) {
    const problem = textProblem(body.cron, m.CRON_MAX_CHARS) ?? cronProblem(body.cron as string, out.timezone ?? m.TIMEZONE_DEFAULT);
    if (problem) report("/cron", problem === "type" ? m.SCHEDULE_FIELD_RULES.cron : problem);
    else out.cron = body.cron as string;
  }
  if (given("paused")) {
    if (typeof body.paused !== "boolean") report("/paused", m.SCHEDULE_FIELD_RULES.paused);
    else out.paused = body.paused;
  }
  if (given("overlap")) {
    if (!(OVERLAP_POLICIES as readonly unknown[]).includes(body.overlap)) report("/overlap", m.SCHEDULE_FIELD_RULES.overlap);
    else out.overlap = body.overlap as Overlap;
  }
  if (given("catch_up")) {
    if (!(CATCH_UP_POLICIES as readonly unknown[]).includes(body.catch_up)) report("/catch_up", m.SCHEDULE_FIELD_RULES.catch_up);
    else out.catchUp = body.catch_up as CatchUp;
  }
  if (given("catch_up_max")) {
    const n = body.catch_up_max;
    if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > CATCH_UP_MAX_LIMIT) report("/catch_up_max", m.SCHEDULE_FIELD_RULES.catch_up_max);
    else out.catchUpMax = n as number;
  }
  if (required("task")) {
    const template = checkTemplate(body.task, problems);
    if (template) out.template = template;
  }
  return problems.length === 0 ? { ok: true, value: out } : { ok: false, problems };
}

/** The template for a task body, or null after adding its problems (paths under /task). */
function checkTemplate(task: unknown, problems: FieldProblem[]): ScheduleTemplate | null {
  if (!isPlainObject(task)) {
    problems.push({ path: "/task", message: m.SCHEDULE_FIELD_RULES.task });
    return null;
  }
  const before = problems.length;
  const rest: Record<string, unknown> = { ...task };
  for (const field of m.NOT_IN_TEMPLATE_FIELDS) {
    if (task[field] === undefined) continue;
    delete rest[field];
    problems.push({ path: `/task/${field}`, message: "is not for schedules: use overlap (queue_one) to order a schedule's runs" });
  }
  for (const field of m.TICK_SET_FIELDS) {
    if (task[field] === undefined) continue;
    delete rest[field];
    problems.push({
      path: `/task/${field}`,
      message:
        field === "idempotency_key"
          ? "is set by the schedule: each task's key is schedule:<schedule id>:<due time>"
          : "is set by the schedule: each task is due at its schedule's time",
    });
  }
  const named = rest.name !== undefined;
  const checked = validateNewTask(named ? rest : { ...rest, name: NAME_PLACEHOLDER });
  if (!checked.ok) for (const p of checked.problems) problems.push({ path: p.path === "/" ? "/task" : `/task${p.path}`, message: p.message });
  return checked.ok && problems.length === before ? templateFromTask(checked.value, named) : null;
}

/** "type" when `v` is not a string at all (the caller words that), else a problem with its content, or null. */
function textProblem(v: unknown, maxChars: number): string | null {
  if (typeof v !== "string") return "type";
  if (v.trim().length === 0) return "must not be empty";
  if (v.length > maxChars) return `must be at most ${maxChars} characters`;
  if (v.includes("\u0000")) return "must not contain NUL (\\u0000) characters";
  if (!v.isWellFormed()) return "must be valid Unicode (it has a lone surrogate)";
  return null;
}

function escapePointer(key: string): string {
  return key.replace(/~/g, "~0").replace(/\//g, "~1");
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
