/**
 * hasDuePlacedTasks: whether a task of these queues with a selector or a pinned worker
 * (docs/placement.md) is due. The dispatcher asks before filling many workers' slots
 * in one claim, which takes only tasks any worker may run: when placed tasks wait, it
 * claims worker by worker instead, each claim with that worker's labels and name.
 * Each probe reads a partial index of placed tasks only, empty without placement.
 */
import { sql } from "drizzle-orm";
import { executePrepared } from "../client.ts";
import { type Executor, rows, textArray } from "../sql.ts";

export async function hasDuePlacedTasks(db: Executor, queues: string[]): Promise<boolean> {
  if (queues.length === 0) return false;
  const q = textArray(queues);
  const r = rows<{ placed: boolean }>(
    await executePrepared(db, sql`
      select exists (
        select 1 from tasks t
        where t.status = 'scheduled' and t.concurrency_key is null and t.blocked_by = 0 and t.pinned_worker is null and t.selector is not null
          and t.queue = any(${q}::text[]) and t.run_at <= now()
      ) or exists (
        select 1 from tasks t
        where t.status = 'scheduled' and t.concurrency_key is null and t.blocked_by = 0 and t.pinned_worker is not null
          and t.queue = any(${q}::text[]) and t.run_at <= now()
      ) or exists (
        select 1 from tasks t
        where t.status = 'scheduled' and t.concurrency_key is not null and t.blocked_by = 0
          and (t.selector is not null or t.pinned_worker is not null)
          and t.queue = any(${q}::text[]) and t.run_at <= now()
      ) as placed`),
  );
  return r[0]?.placed === true;
}
