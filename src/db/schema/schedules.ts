/** schedules: recurring tasks, a cron expression in a time zone plus a task template. */
import { sql } from "drizzle-orm";
import { boolean, index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

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
