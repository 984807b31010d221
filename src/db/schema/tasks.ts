/** tasks: one row per submitted task, holding its definition and its current state. */
import { sql } from "drizzle-orm";
import { bigint, boolean, doublePrecision, type ExtraConfigColumn, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

const tz = { withTimezone: true, precision: 6 } as const;

/**
 * The list indexes' tail, oldest first: read backwards it is the lists' newest first
 * (`created_at desc nulls last, seq desc nulls last`, list-tasks.ts's LIST_ORDER). Stored
 * newest first, every new row went to the index's left edge, where a full page splits in
 * half: the indexes grew to ~1.8× the size (bench/README.md, bulk3). Oldest first, new rows
 * append at the right edge, whose pages split leaving the old page 90 % full.
 */
function newestLast(t: { createdAt: ExtraConfigColumn; seq: ExtraConfigColumn }) {
  return [t.createdAt.asc().nullsFirst(), t.seq.asc().nullsFirst()] as const;
}

export const tasks = pgTable(
  "tasks",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /**
     * Creation order: the lists' tie-break among tasks created at the same time (a batch shares one
     * created_at). A batch's rows take their numbers in request order (insert-tasks.ts). CACHE 1: every
     * nextval comes from the shared sequence, so the scheduler and every coordinator number in the order
     * they ask (a per-session cache would hand each process its own block, and a later task a lower number).
     */
    seq: bigint("seq", { mode: "number" }).notNull().generatedAlwaysAsIdentity({ name: "tasks_seq", cache: 1 }),
    /** Display name, 1–200 characters. */
    name: text("name").notNull(),
    /** Shell command run with /bin/sh -c. */
    command: text("command").notNull(),
    /** Added to the worker's environment. */
    env: jsonb("env").$type<Record<string, string>>().notNull().default({}),
    queue: text("queue").notNull().default("default"),
    /** Higher runs first among due tasks. */
    priority: integer("priority").notNull().default(0),
    /** Not started before this time; a retry moves it forward. */
    runAt: timestamp("run_at", tz).notNull().defaultNow(),
    maxRetries: integer("max_retries").notNull().default(3),
    backoffMs: bigint("backoff_ms", { mode: "number" }).notNull().default(1000),
    backoffFactor: doublePrecision("backoff_factor").notNull().default(2),
    backoffMaxMs: bigint("backoff_max_ms", { mode: "number" }).notNull().default(3_600_000),
    /** Per-attempt time limit; null = none. */
    timeoutMs: bigint("timeout_ms", { mode: "number" }),
    /** Same key again returns this task instead of making a new one. */
    idempotencyKey: text("idempotency_key"),
    /** created, scheduled, picked, running, completed, failed, cancelled. */
    status: text("status").notNull(),
    /** Attempts started so far (the current attempt's number). */
    attempt: integer("attempt").notNull().default(0),
    /**
     * Attempts made before the last manual retry: a manual retry gives the task its whole retry
     * budget again, so the retry policy counts attempts from here (core/attempt.ts).
     */
    retryBase: integer("retry_base").notNull().default(0),
    /** How many times a user retried the task by hand. */
    manualRetries: integer("manual_retries").notNull().default(0),
    /** Worker session of the current or last attempt: fences results and heartbeats. */
    workerId: uuid("worker_id"),
    /** Display name of that worker. */
    worker: text("worker"),
    /** Tasks sharing a key run at most concurrency_limit at once (picked or running); null: no limit. */
    concurrencyKey: text("concurrency_key"),
    concurrencyLimit: integer("concurrency_limit").notNull().default(1),
    /** Dependencies not yet finished; the claim takes only tasks with 0 (docs/flow-control.md). */
    blockedBy: integer("blocked_by").notNull().default(0),
    /** What a failed or cancelled dependency does to this task: cancel (it) or run (it anyway). */
    onDependencyFailure: text("on_dependency_failure").notNull().default("cancel"),
    /** Some task runs after this one: only then does its end look for dependents to release. */
    hasDependents: boolean("has_dependents").notNull().default(false),
    /** Labels a worker must have to take it (value "*": any value); null: any worker (docs/placement.md). */
    selector: jsonb("selector").$type<Record<string, string>>(),
    /** A fanout child runs only on the worker of this name; null: any worker its selector matches. */
    pinnedWorker: text("pinned_worker"),
    /** The fanout parent of a child task. */
    parentId: uuid("parent_id"),
    /** On a parent: "all" or a number of workers (its children are the runs); null: an ordinary task. */
    fanout: text("fanout"),
    /** A pinned child whose worker is lost retries on the same worker ("same") or on any matching one ("any"). */
    fanoutRetry: text("fanout_retry").notNull().default("same"),
    /** Free-form key/value metadata (what the task is); never decides where it runs. */
    labels: jsonb("labels").$type<Record<string, string>>().notNull().default({}),
    /** The schedule that made this task, if any. */
    scheduleId: uuid("schedule_id"),
    /** Who submitted it ("api", "dashboard"), shown on its `created` event; null: not recorded. */
    createdBy: text("created_by"),
    /**
     * True: its `created` and `scheduled` events are not rows of task_events but read from this row
     * (created_at, created_by), which saves a submit two event rows per task (queries/submit-events.ts).
     * insertTasks sets it; rows made before it existed, or by hand, keep their stored events.
     */
    submitEventsInRow: boolean("submit_events_in_row").notNull().default(false),
    createdAt: timestamp("created_at", tz).notNull().defaultNow(),
    pickedAt: timestamp("picked_at", tz),
    startedAt: timestamp("started_at", tz),
    finishedAt: timestamp("finished_at", tz),
    exitCode: integer("exit_code"),
    error: text("error"),
    updatedAt: timestamp("updated_at", tz).notNull().defaultNow(),
  },
  (t) => [
    // The claim: due tasks of a queue by priority then age, an index scan over claimable rows only
    // (no concurrency key, no unfinished dependency); keyed tasks are claimed through tasks_keyed_due_idx.
    // Tasks with a selector or a pinned worker are claimed through tasks_selector_due_idx and tasks_pinned_due_idx.
    index("tasks_due_idx")
      .on(t.queue, t.priority.desc(), t.runAt)
      .where(sql`status = 'scheduled' and concurrency_key is null and blocked_by = 0 and selector is null and pinned_worker is null`),
    // Placement (docs/placement.md): due tasks by (queue, selector), each distinct selector one skip-scan step.
    index("tasks_selector_due_idx")
      .on(t.queue, t.selector, t.priority.desc(), t.runAt)
      .where(sql`status = 'scheduled' and concurrency_key is null and blocked_by = 0 and pinned_worker is null and selector is not null`),
    // Fanout children pinned to a worker, read by that worker's name.
    index("tasks_pinned_due_idx")
      .on(t.pinnedWorker, t.priority.desc(), t.runAt)
      .where(sql`status = 'scheduled' and concurrency_key is null and blocked_by = 0 and pinned_worker is not null`),
    // A fanout parent's children (its page, ?parent_id=, the parent's status).
    index("tasks_parent_idx").on(t.parentId, ...newestLast(t)).where(sql`parent_id is not null`),
    index("tasks_keyed_due_idx")
      .on(t.concurrencyKey, t.priority.desc(), t.runAt)
      .where(sql`status = 'scheduled' and concurrency_key is not null and blocked_by = 0`),
    // Why a task waits: the tasks holding its key.
    index("tasks_key_active_idx").on(t.concurrencyKey).where(sql`status in ('picked', 'running') and concurrency_key is not null`),
    // The wake-up timer: the nearest run_at of claimable tasks without a key, across all queues.
    index("tasks_next_run_idx")
      .on(t.runAt)
      .where(sql`status = 'scheduled' and concurrency_key is null and blocked_by = 0 and selector is null and pinned_worker is null`),
    // Recovery: the live attempts of a worker that was declared dead.
    index("tasks_active_worker_idx").on(t.workerId).where(sql`status in ('picked', 'running')`),
    // Listing newest first with keyset pagination, all tasks or by status / schedule (see newestLast).
    index("tasks_created_idx").on(...newestLast(t)),
    index("tasks_status_created_idx").on(t.status, ...newestLast(t)),
    // The overview: finished tasks of a status, newest first (the throughput chart, recent failures,
    // capped counts), read from an index in order instead of scanning and sorting the whole history.
    index("tasks_status_finished_idx")
      .on(t.status, t.finishedAt.desc(), t.id.desc())
      .where(sql`status in ('completed', 'failed', 'cancelled')`),
    // A tick's overlap check: the schedule's unfinished runs.
    index("tasks_schedule_live_idx").on(t.scheduleId).where(sql`schedule_id is not null and status in ('created', 'scheduled', 'picked', 'running')`),
    index("tasks_schedule_created_idx").on(t.scheduleId, ...newestLast(t)).where(sql`schedule_id is not null`),
    uniqueIndex("tasks_idempotency_key_idx").on(t.idempotencyKey),
  ],
);

export type TaskRow = typeof tasks.$inferSelect;
export type NewTaskRow = typeof tasks.$inferInsert;
