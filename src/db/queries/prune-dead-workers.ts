/**
 * pruneDeadWorkers: removes one batch of worker sessions that were declared dead
 * (or left) longer ago than a given age, oldest first, `skip locked` so pruners
 * running at once never remove a row twice. Tasks keep their worker's name
 * (tasks.worker, task_attempts.worker); only the session row goes.
 */
import { sql } from "drizzle-orm";
import { executePrepared, type Db } from "../client.ts";
import { rows } from "../sql.ts";
import { addToPruneTotals } from "./prune-totals.ts";

/** Removes up to `limit` dead sessions stopped more than `olderThanMs` ago; answers how many. */
export async function pruneDeadWorkers(db: Db, batch: { olderThanMs: number; limit: number }): Promise<number> {
  if (!Number.isInteger(batch.limit) || batch.limit < 1) throw new Error(`bad batch limit: ${batch.limit}`);
  const counts = sql`select (select count(*) from gone) as workers`;
  const result = await executePrepared(db, sql`
    with doomed as (
      select id from workers
      where status = 'dead' and stopped_at < now() - ${batch.olderThanMs}::bigint * interval '1 millisecond'
      order by stopped_at
      limit ${sql.raw(String(batch.limit))}
      for update skip locked
    ), gone as (
      delete from workers w using doomed d where w.id = d.id returning 1
    ), totals as (${addToPruneTotals(counts, { workers: "workers" })})
    ${counts}`);
  return Number(rows<{ workers: string | number }>(result)[0]?.workers ?? 0);
}
