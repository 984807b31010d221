/** listLiveScheduleRuns: the unfinished tasks of each schedule (its live runs), oldest first, through tasks_schedule_live_idx. */
import { sql } from "drizzle-orm";
import type { LiveRun } from "../../core/schedule-policy.ts";
import { UNFINISHED_STATUSES } from "../../core/task-status.ts";
import { type Executor, rows, statusListSql, uuidArray } from "../sql.ts";

export async function listLiveScheduleRuns(db: Executor, scheduleIds: string[]): Promise<Map<string, LiveRun[]>> {
  const byId = new Map<string, LiveRun[]>(scheduleIds.map((id) => [id, []]));
  if (scheduleIds.length === 0) return byId;
  const found = rows<{ schedule_id: string; id: string; status: string }>(
    await db.execute(sql`
      select schedule_id, id, status from tasks
      where schedule_id = any(${uuidArray(scheduleIds)}::uuid[]) and status in ${statusListSql(UNFINISHED_STATUSES)}
      order by created_at`),
  );
  for (const r of found) byId.get(r.schedule_id)?.push({ id: r.id, status: r.status });
  return byId;
}
