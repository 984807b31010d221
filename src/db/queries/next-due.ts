/**
 * msUntilNextDue: how long until the nearest task of these queues that a claim could
 * take is due, by the database's clock. It mirrors the claim's conditions
 * (claim-due-tasks.ts): paused queues, tasks with unfinished dependencies and tasks
 * whose key is full are not counted, so a coordinator does not spin on work it may
 * not claim; their release wakes it instead (a NOTIFY on taskflow_wake). Tasks with
 * a selector or a pinned worker are not counted either (no worker of this coordinator
 * may match them): a submit wakes the claim, and a future one is found by the poll.
 */
import { sql } from "drizzle-orm";
import { executePrepared } from "../client.ts";
import { type Executor, rows, textArray } from "../sql.ts";

/** Milliseconds until the next claimable run_at (≤ 0 when one is due now), or null when none waits. */
export async function msUntilNextDue(db: Executor, queues: string[]): Promise<number | null> {
  if (queues.length === 0) return null;
  const r = rows<{ ms: string | number | null }>(
    await executePrepared(db, sql`
      with open_queues as (
        select name from queues where name = any(${textArray(queues)}::text[]) and not paused
      )
      select extract(epoch from (least(
        (select min(t.run_at) from tasks t
         where t.status = 'scheduled' and t.concurrency_key is null and t.blocked_by = 0 and t.selector is null and t.pinned_worker is null
           and t.queue in (select name from open_queues)),
        (select min(n.run_at) from concurrency_keys k cross join lateral (
           select t.run_at from tasks t
           where t.status = 'scheduled' and t.concurrency_key is not null and t.blocked_by = 0
             and t.concurrency_key = k.key and t.queue in (select name from open_queues)
           order by t.run_at limit 1) n
         where k.waiting > 0 and k.active < k.lim)
      ) - now())) * 1000 as ms`),
  );
  const ms = r[0]?.ms;
  return ms === null || ms === undefined ? null : Number(ms);
}
