/**
 * Counts for the dashboard's overview: tasks in the given statuses, and worker
 * sessions by status. The overview counts finished tasks with finishedCounts
 * (metrics-snapshot.ts, capped) and scheduled ones per queue (dashboard-queue-lag.ts):
 * a count of every status would scan the whole history.
 */
import { sql } from "drizzle-orm";
import type { TaskStatus, WorkerStatus } from "../../core/task-status.ts";
import type { Db } from "../client.ts";
import { rows } from "../rows.ts";

/** Dead sessions pile up with every restart; the overview counts those that ended this recently. */
export const RECENT_DEAD_WORKERS_MS = 24 * 3600 * 1000;

/** How many tasks are in each of `statuses` (each present, zero when none), exactly: meant for the live ones. */
export async function countTasksByStatus<S extends TaskStatus>(db: Db, statuses: readonly S[]): Promise<Record<S, number>> {
  const counts = Object.fromEntries(statuses.map((s) => [s, 0])) as Record<S, number>;
  if (statuses.length === 0) return counts;
  const found = rows<{ status: string; n: number | string }>(
    await db.execute(sql`select status, count(*) as n from tasks where status in (${sql.join(statuses.map((s) => sql`${s}`), sql`, `)}) group by status`),
  );
  for (const r of found) if (r.status in counts) counts[r.status as S] = Number(r.n);
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
