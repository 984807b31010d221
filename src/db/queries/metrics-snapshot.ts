/**
 * metricsSnapshot: the gauges of /metrics and /api/metrics, read on scrape with
 * queries whose cost follows the live backlog, not the table's history:
 * - waiting and live tasks (created, scheduled, picked, running) are counted exactly,
 *   through the status index, with each queue's lag (age of its oldest due task);
 * - finished tasks (completed, failed, cancelled) are counted only up to a cap, so a
 *   table of ten million finished tasks costs the same as one of a hundred thousand
 *   (the *_total counters are the way to follow outcomes over time); counting up to
 *   the cap reads that many entries of tasks_status_finished_idx (~20–30 ms per
 *   100,000), so callers read it less often (finishedCounts);
 * - worker sessions by status, and live sessions by the coordinator holding them.
 */
import { sql } from "drizzle-orm";
import { TERMINAL_STATUSES, type TaskStatus } from "../../core/task-status.ts";
import type { Db } from "../client.ts";
import { rows } from "../rows.ts";

/** Finished tasks are counted up to this many per status. */
export const FINISHED_COUNT_CAP = 100_000;
export const LIVE_STATUSES = ["created", "scheduled", "picked", "running"] as const;

export interface QueueGauges {
  queue: string;
  /** Tasks per live status (every live status present). */
  counts: Record<(typeof LIVE_STATUSES)[number], number>;
  /** Scheduled tasks whose run_at has passed. */
  due: number;
  /** Seconds the oldest due task has waited (0 when none is due), by the database clock. */
  lagSeconds: number;
}

/** Finished tasks per terminal status, each at most FINISHED_COUNT_CAP. */
export type FinishedCounts = Record<"completed" | "failed" | "cancelled", number>;

export interface MetricsSnapshot {
  queues: QueueGauges[];
  workers: Record<"alive" | "draining" | "dead", number>;
  /** Alive and draining sessions by the coordinator address holding their stream. */
  connectedByCoordinator: Record<string, number>;
  /** Alive (not draining) sessions serving each queue: what takes that queue's work now. */
  liveWorkersByQueue: Record<string, number>;
}

export async function metricsSnapshot(db: Db): Promise<MetricsSnapshot> {
  const liveRows = rows<{ queue: string; status: string; n: number | string; due: number | string; lag_s: number | string | null }>(
    await db.execute(sql`
      select queue, status, count(*) as n,
             count(*) filter (where status = 'scheduled' and run_at <= now()) as due,
             extract(epoch from now() - min(run_at) filter (where status = 'scheduled' and run_at <= now())) as lag_s
      from tasks where status in ('created', 'scheduled', 'picked', 'running')
      group by queue, status`),
  );
  const workerRows = rows<{ status: string; coordinator: string | null; n: number | string }>(
    await db.execute(sql`select status, coordinator, count(*) as n from workers group by status, coordinator`),
  );
  const queueWorkerRows = rows<{ queue: string; n: number | string }>(
    await db.execute(sql`select q as queue, count(*) as n from workers, unnest(queues) as q where status = 'alive' group by q`),
  );
  return {
    queues: queueGauges(liveRows),
    ...workerGauges(workerRows),
    liveWorkersByQueue: Object.fromEntries(queueWorkerRows.map((r) => [r.queue, Number(r.n)])),
  };
}

/**
 * Finished tasks per status, each counted up to `cap` (a count equal to the cap
 * means "at least"); only `statuses` are counted, the others read 0. Each count is an index-only scan of at most `cap` entries of
 * tasks_status_finished_idx (the finished tasks, by status); the ORDER BY
 * is that index's order, so the planner takes it rather than a sequential scan
 * that looks cheaper when most rows match but reads past every other row.
 */
export async function finishedCounts(db: Db, cap = FINISHED_COUNT_CAP, statuses: readonly TaskStatus[] = TERMINAL_STATUSES): Promise<FinishedCounts> {
  if (statuses.length === 0) return { completed: 0, failed: 0, cancelled: 0 };
  const found = rows<{ status: string; n: number | string }>(
    await db.execute(
      sql.join(
        statuses.map(
          (s) => sql`select ${s}::text as status, (select count(*) from (
            select 1 from tasks where status = ${s} order by status, finished_at desc nulls last limit ${cap}) capped) as n`,
        ),
        sql` union all `,
      ),
    ),
  );
  return Object.fromEntries(TERMINAL_STATUSES.map((s) => [s, Number(found.find((r) => r.status === s)?.n ?? 0)])) as FinishedCounts;
}

function queueGauges(found: { queue: string; status: string; n: number | string; due: number | string; lag_s: number | string | null }[]): QueueGauges[] {
  const byQueue = new Map<string, QueueGauges>();
  for (const r of found) {
    let q = byQueue.get(r.queue);
    if (!q) {
      q = { queue: r.queue, counts: { created: 0, scheduled: 0, picked: 0, running: 0 }, due: 0, lagSeconds: 0 };
      byQueue.set(r.queue, q);
    }
    q.counts[r.status as (typeof LIVE_STATUSES)[number]] = Number(r.n);
    if (r.status === "scheduled") {
      q.due = Number(r.due);
      q.lagSeconds = Math.max(0, Number(r.lag_s ?? 0));
    }
  }
  return [...byQueue.values()].sort((a, b) => (a.queue < b.queue ? -1 : 1));
}

function workerGauges(found: { status: string; coordinator: string | null; n: number | string }[]): Pick<MetricsSnapshot, "workers" | "connectedByCoordinator"> {
  const workers = { alive: 0, draining: 0, dead: 0 };
  const connectedByCoordinator: Record<string, number> = {};
  for (const r of found) {
    if (r.status in workers) workers[r.status as keyof typeof workers] += Number(r.n);
    if (r.status !== "dead" && r.coordinator) connectedByCoordinator[r.coordinator] = (connectedByCoordinator[r.coordinator] ?? 0) + Number(r.n);
  }
  return { workers, connectedByCoordinator };
}
