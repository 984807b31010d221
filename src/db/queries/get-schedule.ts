/** getSchedule: one schedule with the status of its last task, and the database's clock. */
import { eq } from "drizzle-orm";
import { schedules, tasks } from "../schema/index.ts";
import type { Executor } from "../sql.ts";
import { scheduleViewColumns, type ScheduleView } from "./list-schedules.ts";

/** Schedule `id` and the database's clock, or null when there is no such schedule. */
export async function getSchedule(db: Executor, id: string): Promise<{ schedule: ScheduleView; now: Date } | null> {
  const [found] = await db.select(scheduleViewColumns).from(schedules).leftJoin(tasks, eq(tasks.id, schedules.lastTaskId)).where(eq(schedules.id, id));
  if (!found) return null;
  const { now, ...schedule } = found;
  return { schedule, now };
}
