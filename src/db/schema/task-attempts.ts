/** task_attempts: one row per started attempt of a task, with its worker, timing and output tails. */
import { bigint, integer, pgTable, primaryKey, smallint, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { tasks } from "./tasks.ts";

const tz = { withTimezone: true, precision: 6 } as const;

export const taskAttempts = pgTable(
  "task_attempts",
  {
    taskId: uuid("task_id").notNull().references(() => tasks.id, { onDelete: "cascade" }),
    /** 1 for the first attempt, counting up with each retry. */
    attempt: integer("attempt").notNull(),
    workerId: uuid("worker_id"),
    worker: text("worker"),
    /** picked, running, completed, failed, lost, cancelled. */
    status: text("status").notNull(),
    pickedAt: timestamp("picked_at", tz).notNull().defaultNow(),
    /** When the database heard of the start (the coordinator's write). */
    startedAt: timestamp("started_at", tz),
    /** The worker's own clock when it spawned the process (null from workers before it was reported). */
    spawnedAt: timestamp("spawned_at", tz),
    finishedAt: timestamp("finished_at", tz),
    exitCode: integer("exit_code"),
    error: text("error"),
    /** Last 64 KiB of the process's stdout / stderr. */
    stdoutTail: text("stdout_tail"),
    stderrTail: text("stderr_tail"),
    /** Output bytes received for this attempt so far, both streams, stored or not (task_output_chunks). */
    outputBytes: bigint("output_bytes", { mode: "number" }).notNull().default(0),
    /**
     * How many of this attempt's events are read from this row instead of stored in task_events
     * (queries/run-events.ts): 0 none, 1 its `picked` event (at picked_at), 2 that and its `running`
     * event (at started_at). The claim writes 1, a start report that moved the task writes 2; rows
     * made before it existed keep their stored events.
     */
    derivedEvents: smallint("derived_events").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.taskId, t.attempt] })],
);

export type TaskAttemptRow = typeof taskAttempts.$inferSelect;
