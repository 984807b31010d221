/**
 * Reads schedules with the status of the task each made last, for the API and
 * the dashboard. Every answer carries the database's `now`, so callers compute
 * upcoming run times against the same clock the ticker uses.
 */
import { asc, eq, getTableColumns, sql } from "drizzle-orm";
import { rows } from "../rows.ts";
import { schedules, tasks, type ScheduleRow } from "../schema/index.ts";
import type { Executor } from "./record-transitions.ts";

/** A schedule row with the status of its last task (null before the first tick, or when that task was deleted). */
export interface ScheduleView extends ScheduleRow {
  lastTaskStatus: string | null;
}

export interface ScheduleListing {
  schedules: ScheduleView[];
  /** The database's clock when this was read. */
  now: Date;
}

const viewColumns = {
  ...getTableColumns(schedules),
  lastTaskStatus: tasks.status,
  // Read through a timestamptz column's mapper, so both drivers give a Date.
  now: sql`now()`.mapWith(schedules.createdAt),
};

/** Every schedule, by name. */
export async function listSchedules(db: Executor): Promise<ScheduleListing> {
  const found = await db
    .select(viewColumns)
    .from(schedules)
    .leftJoin(tasks, eq(tasks.id, schedules.lastTaskId))
    .orderBy(asc(schedules.name), asc(schedules.id));
  const now = found[0]?.now ?? (await dbNow(db));
  return { schedules: found.map(({ now: _, ...view }) => view), now };
}

/** Schedule `id` and the database's clock, or null when there is no such schedule. */
export async function getSchedule(db: Executor, id: string): Promise<{ schedule: ScheduleView; now: Date } | null> {
  const [found] = await db.select(viewColumns).from(schedules).leftJoin(tasks, eq(tasks.id, schedules.lastTaskId)).where(eq(schedules.id, id));
  if (!found) return null;
  const { now, ...schedule } = found;
  return { schedule, now };
}

/** The database's clock: the only one schedules are judged by. */
export async function dbNow(db: Executor): Promise<Date> {
  const [r] = rows<{ ms: string | number }>(await db.execute(sql`select extract(epoch from now()) * 1000 as ms`));
  // Whole milliseconds: a JS Date holds no microseconds.
  return new Date(Math.floor(Number(r!.ms)));
}
