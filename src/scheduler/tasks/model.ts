/**
 * The task API's shapes as TypeBox schemas. Requests (SPEC §2), with every limit
 * named once: `validate-task.ts` checks bodies against them (plus the rules a
 * schema cannot say). Answers (SPEC §3): `task-json.ts` builds them, typed by
 * these schemas, and the response tests check real answers against them. The
 * OpenAPI document shows both.
 *
 * These use TypeBox's `Type` rather than Elysia's `t`: Elysia's `t.Integer`
 * also accepts numeric strings (for query strings), and a JSON body with
 * `"priority": "5"` should be refused, not coerced.
 */
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { BACKOFF_FACTOR_DEFAULT, BACKOFF_MAX_MS_DEFAULT, BACKOFF_MS_DEFAULT, MAX_RETRIES_DEFAULT } from "../../core/retry-policy.ts";
import { QUEUE_DEFAULT, QUEUE_PATTERN } from "../../core/queue-name.ts";
import { TASK_STATUSES } from "../../core/task-status.ts";
import { LABEL_KEY_PATTERN, LABEL_VALUE_MAX_CHARS, SELECTOR_MAX, TASK_LABELS_MAX } from "../../core/labels.ts";
import { FAILURE_REASON_MAX_CHARS } from "../../core/failure-reason.ts";

export const NAME_MAX_CHARS = 200;
export const COMMAND_MAX_BYTES = 65_536;
/** env caps: at most 100 variables, names like shell variables, names + values ≤ 64 KiB of UTF-8. */
export const ENV_MAX_VARS = 100;
export const ENV_MAX_BYTES = 65_536;
export const ENV_NAME_PATTERN = "^[A-Za-z_][A-Za-z0-9_]*$";
export const PRIORITY_MIN = -100;
export const PRIORITY_MAX = 100;
export const DELAY_MAX_MS = 365 * 24 * 3600 * 1000;
export const MAX_RETRIES_MAX = 100;
export const BACKOFF_MS_MAX = 86_400_000;
export const BACKOFF_FACTOR_MAX = 10;
/** PostgreSQL int4 max: timers and intervals stay far from overflow. */
export const INT32_MAX = 2_147_483_647;
export const IDEMPOTENCY_KEY_MAX_CHARS = 200;
export const BATCH_MAX_TASKS = 1000;
export const CONCURRENCY_KEY_MAX_CHARS = 200;
export const CONCURRENCY_LIMIT_MAX = 10_000;
export const DEPENDS_ON_MAX = 100;
export const DEPENDENCY_FAILURE_POLICIES = ["cancel", "run"] as const;
/** Most children one fanout makes (docs/placement.md). */
export const FANOUT_MAX = 1000;
export const FANOUT_RETRY_POLICIES = ["same", "any"] as const;
/** A label map: keys by LABEL_KEY_PATTERN, string values (core/labels.ts checks the values' characters). */
const labelMap = (maxProperties: number, description: string) =>
  Type.Record(Type.String({ pattern: LABEL_KEY_PATTERN }), Type.String({ minLength: 1, maxLength: LABEL_VALUE_MAX_CHARS }), { maxProperties, description });
/** A reference to an earlier task of the same batch: `$0` is the batch's first task. */
export const BATCH_REFERENCE_PATTERN = "^\\$(0|[1-9][0-9]{0,3})$";

const int = (minimum: number, maximum: number, extra: object = {}) => Type.Integer({ minimum, maximum, ...extra });

export const NewTaskBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: NAME_MAX_CHARS, description: "display name" }),
    command: Type.String({ minLength: 1, description: `run with /bin/sh -c; at most ${COMMAND_MAX_BYTES} bytes of UTF-8` }),
    env: Type.Optional(
      Type.Record(Type.String({ pattern: ENV_NAME_PATTERN }), Type.String(), {
        maxProperties: ENV_MAX_VARS,
        description: `added to the worker's environment; at most ${ENV_MAX_VARS} variables and ${ENV_MAX_BYTES} bytes`,
      }),
    ),
    queue: Type.Optional(Type.String({ pattern: QUEUE_PATTERN, default: QUEUE_DEFAULT })),
    priority: Type.Optional(int(PRIORITY_MIN, PRIORITY_MAX, { default: 0, description: "higher runs first among due tasks" })),
    run_at: Type.Optional(Type.String({ description: "ISO-8601 time with a time zone; not with delay_ms" })),
    delay_ms: Type.Optional(int(0, DELAY_MAX_MS, { description: "start this long after submission; not with run_at" })),
    max_retries: Type.Optional(int(0, MAX_RETRIES_MAX, { default: MAX_RETRIES_DEFAULT })),
    backoff_ms: Type.Optional(int(1, BACKOFF_MS_MAX, { default: BACKOFF_MS_DEFAULT })),
    backoff_factor: Type.Optional(Type.Number({ minimum: 1, maximum: BACKOFF_FACTOR_MAX, default: BACKOFF_FACTOR_DEFAULT })),
    backoff_max_ms: Type.Optional(
      int(1, INT32_MAX, { default: BACKOFF_MAX_MS_DEFAULT, description: "retry delay cap; at least backoff_ms when both are given" }),
    ),
    timeout_ms: Type.Optional(Type.Union([int(1, INT32_MAX), Type.Null()], { default: null })),
    idempotency_key: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: IDEMPOTENCY_KEY_MAX_CHARS }), Type.Null()], {
        default: null,
        description: "the same key again answers 200 with the first task, while that task is retained; once retention prunes it, the key makes a new task",
      }),
    ),
    concurrency_key: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: CONCURRENCY_KEY_MAX_CHARS }), Type.Null()], {
        default: null,
        description: "tasks sharing a key run at most concurrency_limit at once (picked or running), across all coordinators",
      }),
    ),
    concurrency_limit: Type.Optional(int(1, CONCURRENCY_LIMIT_MAX, { default: 1, description: "with concurrency_key; the latest submitted task's limit applies to the key" })),
    depends_on: Type.Optional(
      Type.Array(Type.String({ description: "a task id, or in a batch `$N`: the batch's task at index N (an earlier one)" }), {
        maxItems: DEPENDS_ON_MAX,
        description: "run only after these tasks have finished (completed, or see on_dependency_failure)",
      }),
    ),
    on_dependency_failure: Type.Optional(
      Type.Union(DEPENDENCY_FAILURE_POLICIES.map((p) => Type.Literal(p)), { default: "cancel", description: "a failed or cancelled dependency cancels this task, or lets it run" }),
    ),
    selector: Type.Optional(
      Type.Union([labelMap(SELECTOR_MAX, 'only workers with these labels take it: {"region": "eu"} needs that value, {"gpu": "*"} any value (docs/placement.md)'), Type.Null()], { default: null }),
    ),
    labels: Type.Optional(labelMap(TASK_LABELS_MAX, "free-form metadata (what the task is); filter with GET /api/tasks?label=k=v; never decides where it runs")),
    fanout: Type.Optional(
      Type.Union([Type.Literal("all"), int(1, FANOUT_MAX), Type.Null()], {
        default: null,
        description: '"all": one child task per live matching worker, each pinned to it; N: N children on N distinct matching workers. The task becomes their parent and ends when they all have',
      }),
    ),
    fanout_retry: Type.Optional(
      Type.Union(FANOUT_RETRY_POLICIES.map((p) => Type.Literal(p)), { default: "same", description: "a child's retry runs on its own worker (same; it waits for that worker to return) or on any matching worker (any)" }),
    ),
  },
  { additionalProperties: false },
);
export type NewTaskBody = Static<typeof NewTaskBody>;

export const TaskBatchBody = Type.Object(
  { tasks: Type.Array(NewTaskBody, { minItems: 1, maxItems: BATCH_MAX_TASKS }) },
  { additionalProperties: false },
);

/** What each field accepts, in words: the message for any problem TypeBox finds at that field. */
export const FIELD_RULES: Record<keyof NewTaskBody, string> = {
  name: `must be a string of 1 to ${NAME_MAX_CHARS} characters`,
  command: `must be a non-empty string of at most ${COMMAND_MAX_BYTES} bytes (UTF-8)`,
  env: `must be an object of at most ${ENV_MAX_VARS} variables with string values`,
  queue: "must be 1 to 64 characters of a-z, 0-9, _ and -",
  priority: `must be an integer from ${PRIORITY_MIN} to ${PRIORITY_MAX}`,
  run_at: "must be an ISO-8601 time with a time zone, like 2030-01-31T12:00:00Z",
  delay_ms: `must be an integer from 0 to ${DELAY_MAX_MS} (one year)`,
  max_retries: `must be an integer from 0 to ${MAX_RETRIES_MAX}`,
  backoff_ms: `must be an integer from 1 to ${BACKOFF_MS_MAX}`,
  backoff_factor: `must be a number from 1 to ${BACKOFF_FACTOR_MAX}`,
  backoff_max_ms: `must be an integer from 1 to ${INT32_MAX}`,
  timeout_ms: `must be null or an integer from 1 to ${INT32_MAX}`,
  idempotency_key: `must be null or a string of 1 to ${IDEMPOTENCY_KEY_MAX_CHARS} characters`,
  concurrency_key: `must be null or a string of 1 to ${CONCURRENCY_KEY_MAX_CHARS} characters`,
  concurrency_limit: `must be an integer from 1 to ${CONCURRENCY_LIMIT_MAX}`,
  depends_on: `must be an array of at most ${DEPENDS_ON_MAX} task ids (or $N for an earlier task of the same batch)`,
  on_dependency_failure: `must be one of ${DEPENDENCY_FAILURE_POLICIES.join(", ")}`,
  selector: `must be null or an object of at most ${SELECTOR_MAX} labels (keys of a-z, 0-9, _ . - /; values 1 to ${LABEL_VALUE_MAX_CHARS} characters, or *)`,
  labels: `must be an object of at most ${TASK_LABELS_MAX} labels (keys of a-z, 0-9, _ . - /; values 1 to ${LABEL_VALUE_MAX_CHARS} characters)`,
  fanout: `must be null, "all" or an integer from 1 to ${FANOUT_MAX}`,
  fanout_retry: `must be one of ${FANOUT_RETRY_POLICIES.join(", ")}`,
};

/** Fields the API sets; a request naming one is told so instead of "unknown field". */
export const READ_ONLY_FIELDS = [
  "id", "seq", "status", "attempt", "worker", "created_at", "picked_at", "started_at", "finished_at", "exit_code", "error", "schedule_id", "waiting_reason", "failure_reason", "retry_base", "manual_retries",
  "parent_id", "pinned_worker",
];

const nullable = <T extends TSchema>(schema: T, description?: string) => Type.Union([schema, Type.Null()], description ? { description } : {});
const time = (description?: string) => Type.String({ format: "date-time", ...(description ? { description } : {}) });
const uuid = Type.String({ format: "uuid" });

export const TaskStatusSchema = Type.Union(TASK_STATUSES.map((s) => Type.Literal(s)));

/** A task as every task answer shows it: its definition (defaults applied) and its current state. */
export const TaskJsonSchema = Type.Object(
  {
    id: uuid,
    seq: Type.Integer({
      minimum: 1,
      description: "creation order: rises with every task created; lists sort by created_at, then seq (so a batch lists in the order it was submitted)",
    }),
    name: Type.String(),
    command: Type.String(),
    env: Type.Record(Type.String(), Type.String()),
    queue: Type.String(),
    priority: Type.Integer(),
    run_at: time("not started before this time; a retry moves it forward"),
    max_retries: Type.Integer(),
    backoff_ms: Type.Integer(),
    backoff_factor: Type.Number(),
    backoff_max_ms: Type.Integer(),
    timeout_ms: nullable(Type.Integer(), "per-attempt time limit; null: none"),
    idempotency_key: nullable(Type.String()),
    status: TaskStatusSchema,
    attempt: Type.Integer({ minimum: 0, description: "attempts started so far (the current attempt's number)" }),
    worker: nullable(Type.String(), "the worker of the current or last attempt"),
    schedule_id: nullable(uuid, "the schedule that made this task"),
    concurrency_key: nullable(Type.String()),
    concurrency_limit: Type.Integer({ minimum: 1 }),
    on_dependency_failure: Type.Union(DEPENDENCY_FAILURE_POLICIES.map((p) => Type.Literal(p))),
    selector: nullable(Type.Record(Type.String(), Type.String()), "labels a worker must have to take it (value *: any value); null: any worker"),
    labels: Type.Record(Type.String(), Type.String(), { description: "free-form metadata" }),
    fanout: nullable(Type.Union([Type.Literal("all"), Type.Integer({ minimum: 1 })]), "on a fanout parent: all or a number of workers; null otherwise"),
    fanout_retry: Type.Union(FANOUT_RETRY_POLICIES.map((p) => Type.Literal(p))),
    parent_id: nullable(uuid, "the fanout parent of a child task (list a parent's children with GET /api/tasks?parent_id=)"),
    pinned_worker: nullable(Type.String(), "a fanout child runs only on the worker of this name"),
    waiting_reason: nullable(
      Type.String(),
      "why a scheduled task is not running yet (dependencies, run_at, a paused queue, its concurrency key, no or busy workers); null otherwise or when nothing holds it back. Filled in by GET /api/tasks/:id and the list",
    ),
    created_at: time(),
    picked_at: nullable(time()),
    started_at: nullable(time()),
    finished_at: nullable(time()),
    exit_code: nullable(Type.Integer()),
    error: nullable(Type.String()),
    failure_reason: nullable(
      Type.String({ maxLength: FAILURE_REASON_MAX_CHARS }),
      "why the last attempt failed, in one short line: the error (a lost worker, a timeout, a cancel), or for a plain exit code the last non-empty line of stderr; null while nothing failed",
    ),
    retry_base: Type.Integer({ minimum: 0, description: "attempts made before the last manual retry; the retry budget (max_retries + 1 attempts) counts from here, so this budget's attempt is attempt - retry_base" }),
    manual_retries: Type.Integer({ minimum: 0, description: "how many times a user retried the task (each gives a fresh retry budget)" }),
  },
  { $id: "Task" },
);
export type TaskJson = Static<typeof TaskJsonSchema>;

export const TaskAttemptJsonSchema = Type.Object(
  {
    attempt: Type.Integer({ minimum: 1 }),
    worker: nullable(Type.String()),
    status: Type.String({ description: "picked, running, completed, failed, lost or cancelled" }),
    picked_at: time(),
    started_at: nullable(time(), "when the coordinator recorded the start (the database's clock)"),
    spawned_at: nullable(time(), "the worker's own clock when it spawned the process (null from older workers)"),
    finished_at: nullable(time()),
    exit_code: nullable(Type.Integer()),
    error: nullable(Type.String()),
    stdout_tail: nullable(Type.String(), "the end of the process's output"),
    stderr_tail: nullable(Type.String()),
  },
  { $id: "TaskAttempt" },
);

export const TaskEventJsonSchema = Type.Object(
  {
    status: Type.String({ description: "the status entered (a task status), or retrying or lost" }),
    attempt: Type.Integer({ minimum: 0, description: "0 before the first attempt" }),
    at: time(),
    worker: nullable(Type.String()),
    message: nullable(Type.String(), "why, where it helps: the error, the retry delay, who cancelled"),
  },
  { $id: "TaskEvent" },
);

/** GET /api/tasks/:id: the task with its attempts (oldest first) and its timeline. */
export const TaskDetailJsonSchema = Type.Object(
  {
    ...TaskJsonSchema.properties,
    depends_on: Type.Array(uuid, { description: "the tasks this one runs after" }),
    attempts: Type.Array(TaskAttemptJsonSchema),
    events: Type.Array(TaskEventJsonSchema),
  },
  { $id: "TaskDetail" },
);
export type TaskDetailJson = Static<typeof TaskDetailJsonSchema>;

export const TaskListJsonSchema = Type.Object(
  {
    tasks: Type.Array(TaskJsonSchema, { description: "newest first" }),
    next_cursor: nullable(Type.String(), "pass as `cursor` for the next page; null on the last page"),
  },
  { $id: "TaskList" },
);

/** POST /api/tasks/batch: the tasks in the order they were sent. */
export const TaskBatchJsonSchema = Type.Object({ tasks: Type.Array(TaskJsonSchema) }, { $id: "TaskBatch" });

/** POST /api/tasks/batch with `Prefer: return=minimal`: only the ids, in the order sent. */
export const TaskBatchIdsJsonSchema = Type.Object(
  { ids: Type.Array(Type.String({ format: "uuid" }), { description: "each task's id in the order sent (a known idempotency key: the existing task's)" }) },
  { $id: "TaskBatchIds" },
);
