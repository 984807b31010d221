/** task_events: every status transition of a task, with its time (the task's timeline). */
import { bigserial, index, integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { tasks } from "./tasks.ts";

export const taskEvents = pgTable(
  "task_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    taskId: uuid("task_id").notNull().references(() => tasks.id, { onDelete: "cascade" }),
    /** The attempt this event belongs to (0 before the first attempt). */
    attempt: integer("attempt").notNull().default(0),
    /** The status entered: created, scheduled, picked, running, completed, failed, cancelled; or retrying, lost. */
    status: text("status").notNull(),
    at: timestamp("at", { withTimezone: true, precision: 6 }).notNull().defaultNow(),
    worker: text("worker"),
    /** Why, where it helps: the error, the retry delay, who cancelled. */
    message: text("message"),
  },
  (t) => [index("task_events_task_idx").on(t.taskId, t.id)],
);

export type TaskEventRow = typeof taskEvents.$inferSelect;
