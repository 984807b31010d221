/** listScheduleTicks: a schedule's recent ticks, newest first (made, queued, replaced, skipped, run now). */
import { desc, eq } from "drizzle-orm";
import type { Executor } from "../sql.ts";
import { scheduleTicks, type ScheduleTickRow } from "../schema/index.ts";

/** How many ticks a schedule's history shows. */
export const SCHEDULE_TICKS_SHOWN = 50;

export async function listScheduleTicks(db: Executor, scheduleId: string, limit = SCHEDULE_TICKS_SHOWN): Promise<ScheduleTickRow[]> {
  return db.select().from(scheduleTicks).where(eq(scheduleTicks.scheduleId, scheduleId)).orderBy(desc(scheduleTicks.createdAt), desc(scheduleTicks.dueAt)).limit(limit);
}
