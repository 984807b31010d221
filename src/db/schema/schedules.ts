/** schedules: recurring tasks, a cron expression in a time zone plus a task template. */
import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

const tz = { withTimezone: true, precision: 6 } as const;

export const schedules = pgTable("schedules", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull(),
  /** 5 or 6 fields (with seconds), or a nickname like @daily. */
  cron: text("cron").notNull(),
  /** IANA time zone the expression is read in. */
  timezone: text("timezone").notNull().default("UTC"),
  /** Task fields for each tick (everything but run_at / delay_ms). */
  template: jsonb("template").$type<Record<string, unknown>>().notNull(),
  paused: boolean("paused").notNull().default(false),
  /** A tick while the last run is live: allow, skip, queue_one or replace (docs/flow-control.md). */
  overlap: text("overlap").notNull().default("skip"),
  /** Due times missed while nothing ticked: latest (run the last one), none, or all (up to catch_up_max). */
  catchUp: text("catch_up").notNull().default("latest"),
  catchUpMax: integer("catch_up_max").notNull().default(10),
  /** The next due time, judged by the database clock. */
  nextRunAt: timestamp("next_run_at", tz),
  lastRunAt: timestamp("last_run_at", tz),
  lastTaskId: uuid("last_task_id"),
  /** The last task's final status, written when the pruner removes that task, so the schedule still shows it. */
  lastTaskStatus: text("last_task_status"),
  createdAt: timestamp("created_at", tz).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", tz).notNull().defaultNow(),
}, (t) => [
  // The ticker: schedules due next, paused ones left out.
  index("schedules_due_idx").on(t.nextRunAt).where(sql`not paused`),
]);

export type ScheduleRow = typeof schedules.$inferSelect;

/** schedule_ticks: what each due time (or run-now) of a schedule did: made a task, queued one, replaced the live run, or skipped. */
export const scheduleTicks = pgTable("schedule_ticks", {
  id: uuid("id").primaryKey().defaultRandom(),
  scheduleId: uuid("schedule_id").notNull(),
  /** The cron time, or the request time of a run-now. */
  dueAt: timestamp("due_at", tz).notNull(),
  /** created, queued, replaced, skipped or manual. */
  outcome: text("outcome").notNull(),
  taskId: uuid("task_id"),
  /** Why, for a skip: the live task it would have overlapped. */
  message: text("message"),
  createdAt: timestamp("created_at", tz).notNull().defaultNow(),
}, (t) => [index("schedule_ticks_schedule_idx").on(t.scheduleId, t.createdAt.desc())]);

export type ScheduleTickRow = typeof scheduleTicks.$inferSelect;
