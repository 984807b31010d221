/**
 * countWorkers: worker sessions by status, in one read for /metrics and the
 * overview. Dead sessions pile up with every restart, so besides all of them it
 * counts those that ended within RECENT_DEAD_WORKERS_MS (what the overview shows),
 * and the live sessions by the coordinator holding their stream.
 */
import { sql } from "drizzle-orm";
import type { WorkerStatus } from "../../core/task-status.ts";
import type { Db } from "../client.ts";
import { rows } from "../sql.ts";

/** Dead sessions that ended this recently count as recent. */
export const RECENT_DEAD_WORKERS_MS = 24 * 3600 * 1000;

export interface WorkerCounts {
  /** Every session by status. */
  byStatus: Record<WorkerStatus, number>;
  /** Alive and draining sessions, and sessions that died within RECENT_DEAD_WORKERS_MS. */
  recent: Record<WorkerStatus, number>;
  /** Alive and draining sessions by the coordinator address holding their stream. */
  connectedByCoordinator: Record<string, number>;
  /** Alive (not draining) sessions serving each queue: what takes that queue's work now. */
  aliveByQueue: Record<string, number>;
}

export async function countWorkers(db: Db): Promise<WorkerCounts> {
  const found = rows<{ status: string; coordinator: string | null; n: number | string; recent: number | string }>(
    await db.execute(sql`
      select status, coordinator, count(*) as n,
             count(*) filter (where status <> 'dead' or coalesce(stopped_at, last_heartbeat_at) > now() - ${RECENT_DEAD_WORKERS_MS} * interval '1 millisecond') as recent
      from workers group by status, coordinator`),
  );
  const byQueue = rows<{ queue: string; n: number | string }>(
    await db.execute(sql`select q as queue, count(*) as n from workers, unnest(queues) as q where status = 'alive' group by q`),
  );
  const counts: WorkerCounts = {
    byStatus: { alive: 0, draining: 0, dead: 0 },
    recent: { alive: 0, draining: 0, dead: 0 },
    connectedByCoordinator: {},
    aliveByQueue: Object.fromEntries(byQueue.map((r) => [r.queue, Number(r.n)])),
  };
  for (const r of found) {
    if (!(r.status in counts.byStatus)) continue;
    const status = r.status as WorkerStatus;
    counts.byStatus[status] += Number(r.n);
    counts.recent[status] += Number(r.recent);
    if (status !== "dead" && r.coordinator) counts.connectedByCoordinator[r.coordinator] = (counts.connectedByCoordinator[r.coordinator] ?? 0) + Number(r.n);
  }
  return counts;
}
