/**
 * listSchedules: every schedule with the status of the task each made last, for
 * the API and the dashboard. Every answer carries the database's `now`, so callers compute
 * upcoming run times against the same clock the ticker uses.
 */
import { asc, eq, getTableColumns, sql } from "drizzle-orm";
import { schedules, tasks, type ScheduleRow } from "../schema/index.ts";
import type { Executor } from "../sql.ts";
import { dbNow } from "./db-now.ts";

/**
 * A schedule row with the status of its last task: read from the task while it is
 * kept, else the status the pruner saved when it removed it (null before the first tick).
 */
export interface ScheduleView extends ScheduleRow {
  lastTaskStatus: string | null;
  /** True when the last task was pruned: its status is known, its page is gone. */
  lastTaskPruned: boolean;
}

export interface ScheduleListing {
  schedules: ScheduleView[];
  /** The database's clock when this was read. */
  now: Date;
}

/** The columns of a ScheduleView, plus the database's now(). */
export const scheduleViewColumns = {
  ...getTableColumns(schedules),
  lastTaskStatus: sql<string | null>`coalesce(${tasks.status}, ${schedules.lastTaskStatus})`,
  lastTaskPruned: sql<boolean>`(${tasks.id} is null and ${schedules.lastTaskId} is not null)`.mapWith(Boolean),
  // Read through a timestamptz column's mapper, so both drivers give a Date.
  now: sql`now()`.mapWith(schedules.createdAt),
};

/** Every schedule, by name. */
export async function listSchedules(db: Executor): Promise<ScheduleListing> {
  const found = await db
    .select(scheduleViewColumns)
    .from(schedules)
    .leftJoin(tasks, eq(tasks.id, schedules.lastTaskId))
    .orderBy(asc(schedules.name), asc(schedules.id));
  const now = found[0]?.now ?? (await dbNow(db));
  return { schedules: found.map(({ now: _, ...view }) => view), now };
}
