/** Queue lag for the overview: per queue, the tasks waiting, those already due, and how long the oldest due one has waited. */
import { sql } from "drizzle-orm";
import { statusSql } from "../sql.ts";
import type { Db } from "../client.ts";
import { rows } from "../rows.ts";

export interface QueueLag {
  queue: string;
  /** Scheduled tasks, due or not. */
  waiting: number;
  /** Scheduled tasks whose run_at has passed. */
  due: number;
  /** Age of the oldest due task (0 when none is due), by the database clock. */
  lagMs: number;
}

/** Every queue that has scheduled tasks, by name. Reads the partial index of scheduled tasks only. */
export async function queueLag(db: Db): Promise<QueueLag[]> {
  const found = rows<{ queue: string; waiting: number | string; due: number | string; lag_ms: number | string | null }>(
    await db.execute(sql`
      select queue, count(*) as waiting, count(*) filter (where run_at <= now()) as due,
             extract(epoch from now() - min(run_at) filter (where run_at <= now())) * 1000 as lag_ms
      from tasks where status = ${statusSql("scheduled")}
      group by queue order by queue`),
  );
  return found.map((r) => ({ queue: r.queue, waiting: Number(r.waiting), due: Number(r.due), lagMs: Math.max(0, Number(r.lag_ms ?? 0)) }));
}
