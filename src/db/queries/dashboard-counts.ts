/** Counts for the dashboard's overview: tasks by status, and worker sessions by status. */
import { sql } from "drizzle-orm";
import { TASK_STATUSES, type TaskStatus, type WorkerStatus } from "../../core/task-status.ts";
import type { Db } from "../client.ts";
import { rows } from "../rows.ts";

/** Dead sessions pile up with every restart; the overview counts those that ended this recently. */
export const RECENT_DEAD_WORKERS_MS = 24 * 3600 * 1000;

/** How many tasks are in each status (every status present, zero when none). */
export async function countTasksByStatus(db: Db): Promise<Record<TaskStatus, number>> {
  const found = rows<{ status: string; n: number | string }>(await db.execute(sql`select status, count(*) as n from tasks group by status`));
  const counts = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
  for (const r of found) if (r.status in counts) counts[r.status as TaskStatus] = Number(r.n);
  return counts;
}

/** Alive and draining sessions, and sessions that died within RECENT_DEAD_WORKERS_MS. */
export async function countWorkersByStatus(db: Db): Promise<Record<WorkerStatus, number>> {
  const found = rows<{ status: string; n: number | string }>(
    await db.execute(sql`
      select status, count(*) as n from workers
      where status <> 'dead' or coalesce(stopped_at, last_heartbeat_at) > now() - ${RECENT_DEAD_WORKERS_MS} * interval '1 millisecond'
      group by status`),
  );
  const counts: Record<WorkerStatus, number> = { alive: 0, draining: 0, dead: 0 };
  for (const r of found) if (r.status in counts) counts[r.status as WorkerStatus] = Number(r.n);
  return counts;
}
