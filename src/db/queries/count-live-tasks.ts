/**
 * countLiveTasks: the unfinished tasks (created, scheduled, picked, running) of
 * each queue, counted exactly through the status index, with the tasks already due
 * and each queue's lag (age of its oldest due task, by the database clock). Its cost
 * follows the live backlog, not the table's history. The one live count: /metrics
 * and the dashboard's overview both read it.
 */
import { sql } from "drizzle-orm";
import { UNFINISHED_STATUSES } from "../../core/task-status.ts";
import type { Db } from "../client.ts";
import { rows, statusListSql, statusSql } from "../sql.ts";

export type UnfinishedStatus = "created" | "scheduled" | "picked" | "running";

export interface QueueGauges {
  queue: string;
  /** Tasks per unfinished status (every one present). */
  counts: Record<UnfinishedStatus, number>;
  /** Scheduled tasks whose run_at has passed. */
  due: number;
  /** Seconds the oldest due task has waited (0 when none is due), by the database clock. */
  lagSeconds: number;
}

/** Every queue with unfinished tasks, by name. */
export async function countLiveTasks(db: Db): Promise<QueueGauges[]> {
  const found = rows<{ queue: string; status: string; n: number | string; due: number | string; lag_s: number | string | null }>(
    await db.execute(sql`
      select queue, status, count(*) as n,
             count(*) filter (where status = ${statusSql("scheduled")} and run_at <= now()) as due,
             extract(epoch from now() - min(run_at) filter (where status = ${statusSql("scheduled")} and run_at <= now())) as lag_s
      from tasks where status in ${statusListSql(UNFINISHED_STATUSES)}
      group by queue, status`),
  );
  const byQueue = new Map<string, QueueGauges>();
  for (const r of found) {
    let q = byQueue.get(r.queue);
    if (!q) {
      q = { queue: r.queue, counts: { created: 0, scheduled: 0, picked: 0, running: 0 }, due: 0, lagSeconds: 0 };
      byQueue.set(r.queue, q);
    }
    q.counts[r.status as UnfinishedStatus] = Number(r.n);
    if (r.status === "scheduled") {
      q.due = Number(r.due);
      q.lagSeconds = Math.max(0, Number(r.lag_s ?? 0));
    }
  }
  return [...byQueue.values()].sort((a, b) => (a.queue < b.queue ? -1 : 1));
}
