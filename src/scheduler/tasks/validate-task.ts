/**
 * Validates task submissions (SPEC §2) without any HTTP: the API and the
 * dashboard's new-task form both call `validateNewTask`. It checks the TypeBox
 * schema of model.ts, then the rules a schema cannot say (command bytes, env
 * caps, NUL characters, run_at's time zone, run_at xor delay_ms), and reports
 * every bad field by JSON path, not just the first, in words a user can act on.
 */
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { ValueErrorType } from "@sinclair/typebox/errors";
import type { FieldProblem } from "../../core/errors.ts";
import { QUEUE_DEFAULT } from "../../core/queue-name.ts";
import { BACKOFF_FACTOR_DEFAULT, BACKOFF_MAX_MS_DEFAULT, BACKOFF_MS_DEFAULT, MAX_RETRIES_DEFAULT } from "../../core/retry-policy.ts";
import type { NewTask } from "../../db/queries/insert-tasks.ts";
import { parseIsoInstant } from "./iso-time.ts";
import { isUuid } from "../../core/uuid.ts";
import * as m from "./model.ts";
import { echoed } from "../echo-limit.ts";
import { labelProblems } from "../../core/labels.ts";

export type Checked<T> = { ok: true; value: T } | { ok: false; problems: FieldProblem[] };

/** Records a problem at a path; the first problem found for a path wins. */
type Report = (path: string, message: string) => void;

/** A 1 MiB batch of bad tasks could name tens of thousands of problems; the answer lists this many. */
export const MAX_PROBLEMS = 500;

const taskSchema = TypeCompiler.Compile(m.NewTaskBody);
const KNOWN_FIELDS = Object.keys(m.NewTaskBody.properties) as (keyof m.NewTaskBody)[];
const KNOWN_FIELD_SET = new Set<string>(KNOWN_FIELDS);
const ENV_NAME = new RegExp(m.ENV_NAME_PATTERN);
const BATCH_REFERENCE = new RegExp(m.BATCH_REFERENCE_PATTERN);
const utf8 = new TextEncoder();

/**
 * Checks one task body: the normalized task with defaults applied, or every problem found.
 *
 * @example validateNewTask({ name: "hi", command: "echo hi" }) // { ok: true, value: { queue: "default", priority: 0, ... } }
 * @example validateNewTask({ name: "", max_retry: 1 }) // { ok: false, problems: [{ path: "/max_retry", ... }, { path: "/name", ... }, ...] }
 */
export function validateNewTask(body: unknown): Checked<NewTask> {
  const problems: FieldProblem[] = [];
  const task = checkTask(body, "", problems);
  return task && problems.length === 0 ? { ok: true, value: task } : { ok: false, problems };
}

/** Checks a batch body `{tasks: [...]}` (1 to 1000 tasks); problems name paths like `/tasks/3/priority`. */
export function validateTaskBatch(body: unknown): Checked<NewTask[]> {
  if (!isPlainObject(body)) return { ok: false, problems: [{ path: "/", message: 'must be an object like {"tasks": [...]}' }] };
  const problems: FieldProblem[] = [];
  for (const key of Object.keys(body)) if (key !== "tasks") problems.push({ path: pointer("", key), message: "unknown field" });
  const list = body.tasks;
  if (!Array.isArray(list) || list.length < 1 || list.length > m.BATCH_MAX_TASKS) {
    problems.push({ path: "/tasks", message: `must be an array of 1 to ${m.BATCH_MAX_TASKS} tasks` });
    return { ok: false, problems };
  }
  const tasks = list.map((item, i) => checkTask(item, `/tasks/${i}`, problems, i));
  if (tasks.some((t) => t?.dependsOn?.length)) tasks.forEach((t, i) => t && referenceProblems(t, tasks, `/tasks/${i}`, problems));
  if (problems.length > 0) return { ok: false, problems: capped(problems) };
  return { ok: true, value: tasks as NewTask[] };
}

/** `$N` must name an earlier task of the batch without an idempotency key (a known key would leave no new task to wait for). */
function referenceProblems(t: NewTask, tasks: (NewTask | null)[], prefix: string, problems: FieldProblem[]): void {
  t.dependsOn?.forEach((d, j) => {
    if (typeof d === "number" && tasks[d]?.idempotencyKey) {
      problems.push({ path: `${prefix}/depends_on/${j}`, message: `$${d} has an idempotency key; refer to it by its task id instead` });
    }
  });
}

/** Appends the problems of one task body at `prefix` to `problems`; returns the task when it has none. `index`: its place in a batch. */
function checkTask(body: unknown, prefix: string, problems: FieldProblem[], index?: number): NewTask | null {
  if (!isPlainObject(body)) {
    problems.push({ path: prefix || "/", message: "must be a JSON object" });
    return null;
  }
  // Parsed once, for the rules and the normalized task.
  const runAt = typeof body.run_at === "string" ? parseIsoInstant(body.run_at) : null;
  const schemaHolds = taskSchema.Check(body);
  // Most tasks of a batch pass: then no problem is looked for field by field, and no path is built.
  if (schemaHolds && plainAndValid(body, runAt)) return normalize(body as m.NewTaskBody, runAt);
  const found = new Map<string, string>();
  const report: Report = (path, message) => void (found.has(path) || found.set(path, message));
  unknownFieldProblems(body, prefix, report);
  if (!schemaHolds) schemaProblems(body, prefix, report);
  ruleProblems(body, runAt, prefix, report, found);
  if (Array.isArray(body.depends_on) && !found.has(pointer(prefix, "depends_on"))) dependencyProblems(body.depends_on, prefix, report, index);
  for (const [path, message] of found) problems.push({ path, message });
  return found.size === 0 ? normalize(body as m.NewTaskBody, runAt) : null;
}

/** The text fields textProblem judges. */
const TEXT_FIELDS = ["name", "command", "queue", "run_at", "idempotency_key", "concurrency_key"] as const;

/**
 * Whether a body the schema accepts (so without unknown fields: additionalProperties is false)
 * certainly breaks none of ruleProblems' and dependencyProblems' rules. It answers false for any
 * body that uses a field with rules of its own (env, selector, labels, depends_on, fanout, both
 * backoff bounds, run_at with delay_ms): those go the long way, which names every problem.
 */
function plainAndValid(body: Record<string, unknown>, runAt: Date | null): boolean {
  if (body.env !== undefined || body.selector != null || body.labels !== undefined || body.depends_on !== undefined || body.fanout != null) return false;
  if (body.backoff_max_ms !== undefined && body.backoff_ms !== undefined) return false;
  if (body.run_at !== undefined && (runAt === null || body.delay_ms !== undefined)) return false;
  // A UTF-16 code unit is at most 3 UTF-8 bytes: a command that could be too long is measured the long way.
  if ((body.command as string).length * 3 > m.COMMAND_MAX_BYTES) return false;
  for (const field of TEXT_FIELDS) {
    const s = body[field];
    if (typeof s === "string" && textProblem(s) !== null) return false;
  }
  return true;
}

function unknownFieldProblems(body: Record<string, unknown>, prefix: string, report: Report): void {
  for (const key of Object.keys(body)) {
    if (KNOWN_FIELD_SET.has(key)) continue;
    if (m.READ_ONLY_FIELDS.includes(key)) report(pointer(prefix, key), "is read-only");
    else report(pointer(prefix, key), unknownFieldMessage(key));
  }
}

/** TypeBox's findings on the known fields, worded by FIELD_RULES (unknown fields and env entries are checked elsewhere). */
function schemaProblems(body: Record<string, unknown>, prefix: string, report: Report): void {
  for (const e of taskSchema.Errors(body)) {
    if (e.type === ValueErrorType.ObjectAdditionalProperties) continue;
    const field = e.path.split("/")[1] as keyof m.NewTaskBody | undefined;
    if (!field || !(field in m.FIELD_RULES) || (field === "env" && e.path !== "/env")) continue;
    report(pointer(prefix, field), e.type === ValueErrorType.ObjectRequiredProperty ? "is required" : m.FIELD_RULES[field]);
  }
}

/** The rules beyond the schema; fields that already have a problem are not judged again. `runAt`: run_at parsed (null: absent or not an instant). */
function ruleProblems(body: Record<string, unknown>, runAt: Date | null, prefix: string, report: Report, found: Map<string, string>): void {
  const has = (field: string) => body[field] !== undefined;
  // Most tasks have no problem at all: then no pointer needs to be built to ask.
  const fresh = (field: string) => has(field) && (found.size === 0 || !found.has(pointer(prefix, field)));
  for (const field of TEXT_FIELDS) {
    const problem = typeof body[field] === "string" ? textProblem(body[field]) : null;
    if (problem && fresh(field)) report(pointer(prefix, field), problem);
  }
  // A UTF-16 code unit is at most 3 UTF-8 bytes: only a long command needs encoding to be measured.
  if (fresh("command") && typeof body.command === "string" && body.command.length * 3 > m.COMMAND_MAX_BYTES && utf8.encode(body.command).length > m.COMMAND_MAX_BYTES) {
    report(pointer(prefix, "command"), m.FIELD_RULES.command);
  }
  if (fresh("env") && isPlainObject(body.env)) envProblems(body.env, pointer(prefix, "env"), report);
  if (fresh("run_at") && typeof body.run_at === "string" && runAt === null) {
    report(pointer(prefix, "run_at"), m.FIELD_RULES.run_at);
  }
  if (has("run_at") && has("delay_ms")) {
    report(pointer(prefix, "run_at"), "give run_at or delay_ms, not both");
    report(pointer(prefix, "delay_ms"), "give run_at or delay_ms, not both");
  }
  for (const field of ["selector", "labels"]) {
    if (fresh(field) && isPlainObject(body[field])) {
      for (const [key, message] of labelProblems(body[field], Infinity)) if (key) report(pointer(pointer(prefix, field), key), message);
    }
  }
  if (has("fanout") && body.fanout !== null && Array.isArray(body.depends_on) && body.depends_on.length > 0) {
    report(pointer(prefix, "fanout"), "a fanout task cannot have depends_on (its children would not wait); make a task that depends on it instead");
  }
  if (fresh("backoff_max_ms") && fresh("backoff_ms") && Number(body.backoff_max_ms) < Number(body.backoff_ms)) {
    report(pointer(prefix, "backoff_max_ms"), `must be at least backoff_ms (${body.backoff_ms})`);
  }
}

/** Each entry a task id or, in a batch, `$N` with N before this task's own index. */
function dependencyProblems(list: unknown[], prefix: string, report: Report, index: number | undefined): void {
  list.forEach((d, j) => {
    const at = pointer(pointer(prefix, "depends_on"), String(j));
    if (typeof d !== "string") return report(at, "must be a task id");
    if (d.startsWith("$")) {
      if (index === undefined) return report(at, "$N refers to a task of the same batch; use POST /api/tasks/batch");
      if (!BATCH_REFERENCE.test(d) || Number(d.slice(1)) >= index) return report(at, `must refer to an earlier task of the batch ($0 to $${index - 1})`);
      return;
    }
    if (!isUuid(d)) report(at, "must be a task id (a UUID)");
  });
}

function envProblems(env: Record<string, unknown>, path: string, report: Report): void {
  let bytes = 0;
  for (const [name, value] of Object.entries(env)) {
    const at = pointer(path, name);
    if (!ENV_NAME.test(name)) report(at, "is not a valid variable name: letters, digits and _, not starting with a digit");
    else if (typeof value !== "string") report(at, "must be a string");
    else {
      const problem = textProblem(value);
      if (problem) report(at, problem);
      bytes += utf8.encode(name).length + utf8.encode(value).length;
    }
  }
  if (bytes > m.ENV_MAX_BYTES) report(path, `must hold at most ${m.ENV_MAX_BYTES} bytes of names and values`);
}

/** PostgreSQL text and jsonb hold neither NUL characters nor lone UTF-16 surrogates. */
function textProblem(s: string): string | null {
  if (s.includes("\u0000")) return "must not contain NUL (\\u0000) characters";
  if (!s.isWellFormed()) return "must be valid Unicode (it has a lone surrogate)";
  return null;
}

/** The validated body with SPEC §2 defaults applied; `runAt` is its run_at, parsed. */
function normalize(b: m.NewTaskBody, runAt: Date | null): NewTask {
  const backoffMs = b.backoff_ms ?? BACKOFF_MS_DEFAULT;
  return {
    name: b.name,
    command: b.command,
    env: b.env ?? {},
    queue: b.queue ?? QUEUE_DEFAULT,
    priority: b.priority ?? 0,
    runAt,
    delayMs: b.delay_ms ?? 0,
    maxRetries: b.max_retries ?? MAX_RETRIES_DEFAULT,
    backoffMs,
    backoffFactor: b.backoff_factor ?? BACKOFF_FACTOR_DEFAULT,
    // A first delay above the default cap would be silently cut to it; the cap follows backoff_ms instead.
    backoffMaxMs: b.backoff_max_ms ?? Math.max(BACKOFF_MAX_MS_DEFAULT, backoffMs),
    timeoutMs: b.timeout_ms ?? null,
    idempotencyKey: b.idempotency_key ?? null,
    concurrencyKey: b.concurrency_key ?? null,
    concurrencyLimit: b.concurrency_limit ?? 1,
    dependsOn: b.depends_on?.length ? b.depends_on.map((d) => (d.startsWith("$") ? Number(d.slice(1)) : d.toLowerCase())) : [],
    onDependencyFailure: b.on_dependency_failure ?? "cancel",
    selector: b.selector && Object.keys(b.selector).length > 0 ? b.selector : null,
    labels: b.labels ?? {},
    fanout: b.fanout ?? null,
    fanoutRetry: b.fanout_retry ?? "same",
  };
}

/** "unknown field", with the likely intended field when the name is a near miss (`max_retry`). */
function unknownFieldMessage(key: string): string {
  // Up to one edit per three characters counts as a typo; long keys are nobody's typo.
  if (key.length > 40) return "unknown field";
  const allowed = Math.max(1, Math.floor(key.length / 3));
  const near = KNOWN_FIELDS.map((f) => ({ f, d: editDistance(key.toLowerCase(), f) })).sort((a, b) => a.d - b.d)[0];
  return near && near.d <= allowed ? `unknown field; did you mean ${near.f}?` : "unknown field";
}

/** Levenshtein distance. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** A JSON Pointer (RFC 6901) to `key` under `base`. */
function pointer(base: string, key: string): string {
  // An unknown key is the client's input: only a prefix of it is echoed.
  return `${base}/${echoed(key).replace(/~/g, "~0").replace(/\//g, "~1")}`;
}

function capped(problems: FieldProblem[]): FieldProblem[] {
  if (problems.length <= MAX_PROBLEMS) return problems;
  return [...problems.slice(0, MAX_PROBLEMS), { path: "/tasks", message: `and ${problems.length - MAX_PROBLEMS} more problems not listed` }];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
