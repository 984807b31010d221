/**
 * The schedule API's shapes as TypeBox schemas, for the OpenAPI document.
 * Requests (SPEC §2 "Schedules"), with the limits named once: validate-schedule.ts
 * does the checking (a cron expression or a time zone is more than a schema can
 * say). Answers: schedule-json.ts builds them, typed by these schemas.
 */
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { NAME_MAX_CHARS, NewTaskBody, TaskStatusSchema } from "../tasks/model.ts";
import { CATCH_UP_DEFAULT, CATCH_UP_MAX_DEFAULT, CATCH_UP_MAX_LIMIT, CATCH_UP_POLICIES, OVERLAP_DEFAULT, OVERLAP_POLICIES } from "../../core/schedule-policy.ts";

export const SCHEDULE_NAME_MAX_CHARS = NAME_MAX_CHARS;
export const CRON_MAX_CHARS = 200;
export const TIMEZONE_DEFAULT = "UTC";
/** How many upcoming run times a schedule's answer lists. */
export const NEXT_RUNS_SHOWN = 5;

/** Task fields a template may not carry: each tick sets them. */
export const TICK_SET_FIELDS = ["run_at", "delay_ms", "idempotency_key"] as const;
/** Task fields a template may not carry: a tick's task depends on no fixed task (overlap queue_one orders runs). */
export const NOT_IN_TEMPLATE_FIELDS = ["depends_on", "on_dependency_failure"] as const;

const { run_at: _r, delay_ms: _d, idempotency_key: _k, depends_on: _o, on_dependency_failure: _f, name, ...templateFields } = NewTaskBody.properties;

/** A task as a schedule makes it; `name` defaults to the schedule's name. */
export const ScheduleTaskBody = Type.Object(
  { name: Type.Optional(name), ...templateFields },
  { additionalProperties: false, description: "every task field but run_at, delay_ms and idempotency_key; name defaults to the schedule's" },
);

export const NewScheduleBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: SCHEDULE_NAME_MAX_CHARS }),
    cron: Type.String({
      maxLength: CRON_MAX_CHARS,
      description: "5 fields (minute hour day month weekday), 6 with seconds first, or @yearly/@monthly/@weekly/@daily/@hourly",
      examples: ["*/5 * * * *", "0 30 9 * * MON-FRI", "@daily"],
    }),
    timezone: Type.Optional(Type.String({ default: TIMEZONE_DEFAULT, description: "IANA time zone the expression is read in" })),
    task: ScheduleTaskBody,
    paused: Type.Optional(Type.Boolean({ default: false })),
    overlap: Type.Optional(
      Type.Union(OVERLAP_POLICIES.map((p) => Type.Literal(p)), {
        default: OVERLAP_DEFAULT,
        description: "a tick while the last run is live: allow (run both), skip (make no task; recorded), queue_one (at most one waits behind the live run), replace (cancel the live run, killing its process, and start the new one)",
      }),
    ),
    catch_up: Type.Optional(
      Type.Union(CATCH_UP_POLICIES.map((p) => Type.Literal(p)), {
        default: CATCH_UP_DEFAULT,
        description: "due times missed while no coordinator ticked: latest (run the last one), none (run none; a due time over 60 s late is missed), all (run up to catch_up_max of the latest, one after another)",
      }),
    ),
    catch_up_max: Type.Optional(Type.Integer({ minimum: 1, maximum: CATCH_UP_MAX_LIMIT, default: CATCH_UP_MAX_DEFAULT, description: "with catch_up all: the most missed due times one tick runs" })),
  },
  { additionalProperties: false },
);
export type NewScheduleBody = Static<typeof NewScheduleBody>;

/** PATCH: any subset; `task` replaces the whole template. */
export const SchedulePatchBody = Type.Partial(NewScheduleBody, { additionalProperties: false });

/** What each top-level field accepts, in words. */
export const SCHEDULE_FIELD_RULES = {
  name: `must be a string of 1 to ${SCHEDULE_NAME_MAX_CHARS} characters`,
  cron: `must be a cron expression string of at most ${CRON_MAX_CHARS} characters`,
  timezone: "must be an IANA time zone name, like UTC or Europe/Berlin",
  task: "must be a JSON object of task fields",
  paused: "must be true or false",
  overlap: `must be one of ${OVERLAP_POLICIES.join(", ")}`,
  catch_up: `must be one of ${CATCH_UP_POLICIES.join(", ")}`,
  catch_up_max: `must be an integer from 1 to ${CATCH_UP_MAX_LIMIT}`,
} as const;

/** Fields the API sets; naming one in a request is answered "is read-only". */
export const SCHEDULE_READ_ONLY_FIELDS = [
  "id", "next_run_at", "last_run_at", "last_task_id", "last_task_status", "next_runs", "created_at", "updated_at",
];

const time = () => Type.String({ format: "date-time" });
const nullable = <T extends TSchema>(schema: T, description?: string) => Type.Union([schema, Type.Null()], description ? { description } : {});

/** The stored task template: task defaults applied, so it is exactly what each tick runs. */
export const ScheduleTemplateJsonSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ description: "absent: each task is named after the schedule" })),
    command: Type.String(),
    env: Type.Record(Type.String(), Type.String()),
    queue: Type.String(),
    priority: Type.Integer(),
    max_retries: Type.Integer(),
    backoff_ms: Type.Integer(),
    backoff_factor: Type.Number(),
    backoff_max_ms: Type.Integer(),
    timeout_ms: nullable(Type.Integer()),
    concurrency_key: Type.Optional(nullable(Type.String())),
    concurrency_limit: Type.Optional(Type.Integer({ minimum: 1 })),
    selector: Type.Optional(nullable(Type.Record(Type.String(), Type.String()), "labels a worker must have (docs/placement.md)")),
    labels: Type.Optional(Type.Record(Type.String(), Type.String())),
    fanout: Type.Optional(nullable(Type.Union([Type.Literal("all"), Type.Integer({ minimum: 1 })]), "each tick makes a parent with one child per live matching worker (all) or N children; no matching worker skips the tick")),
    fanout_retry: Type.Optional(Type.Union([Type.Literal("same"), Type.Literal("any")])),
  },
  { $id: "ScheduleTemplate" },
);

export const ScheduleJsonSchema = Type.Object(
  {
    id: Type.String({ format: "uuid" }),
    name: Type.String(),
    cron: Type.String(),
    timezone: Type.String(),
    paused: Type.Boolean(),
    overlap: Type.Union(OVERLAP_POLICIES.map((p) => Type.Literal(p))),
    catch_up: Type.Union(CATCH_UP_POLICIES.map((p) => Type.Literal(p))),
    catch_up_max: Type.Integer({ minimum: 1 }),
    task: ScheduleTemplateJsonSchema,
    next_run_at: nullable(time(), "the next due time; null while paused, or when the expression matches no later time"),
    next_runs: Type.Array(time(), {
      maxItems: NEXT_RUNS_SHOWN,
      description: "the next due times; for a paused schedule, the times resuming now would give",
    }),
    last_run_at: nullable(time()),
    last_task_id: nullable(Type.String({ format: "uuid" }), "the task made last; it answers 404 once retention pruned it"),
    last_task_status: nullable(TaskStatusSchema, "the status of the task made last, kept when retention prunes that task; null before the first run"),
    created_at: time(),
    updated_at: time(),
  },
  { $id: "Schedule" },
);
export type ScheduleJson = Static<typeof ScheduleJsonSchema>;

export const ScheduleListJsonSchema = Type.Object({ schedules: Type.Array(ScheduleJsonSchema, { description: "by name" }) }, { $id: "ScheduleList" });

export const ScheduleTickJsonSchema = Type.Object(
  {
    due_at: time(),
    outcome: Type.Union(["created", "queued", "replaced", "skipped", "manual"].map((o) => Type.Literal(o)), {
      description: "created: a task for the due time; queued: one waiting for the live run; replaced: the live run was cancelled; skipped: no task (see message); manual: run now",
    }),
    task_id: nullable(Type.String({ format: "uuid" })),
    message: nullable(Type.String()),
    at: time(),
  },
  { $id: "ScheduleTick" },
);
export const ScheduleTickListJsonSchema = Type.Object({ ticks: Type.Array(ScheduleTickJsonSchema, { description: "newest first" }) }, { $id: "ScheduleTickList" });
