/**
 * countPrunableTasks / countPrunableWorkers: what a prune would remove right now,
 * for `taskflow prune --dry-run`. The same conditions as pruneFinishedTasks and
 * pruneDeadWorkers, counted instead of deleted; nothing is locked or changed.
 */
import { sql } from "drizzle-orm";
import type { FinishedStatus } from "../../core/retention.ts";
import type { Db } from "../client.ts";
import { rows } from "../sql.ts";
import type { PrunedTasks } from "./prune-finished-tasks.ts";

/** Tasks of `status` finished more than `olderThanMs` ago, with their attempts and events. */
export async function countPrunableTasks(db: Db, status: FinishedStatus, olderThanMs: number): Promise<PrunedTasks> {
  const [r] = rows<Record<keyof PrunedTasks, string | number>>(await db.execute(sql`
    with doomed as (
      select id, submit_events_in_row from tasks where status = ${status} and status in ('completed', 'failed', 'cancelled')
        and finished_at < now() - ${olderThanMs}::bigint * interval '1 millisecond'
    )
    select (select count(*) from doomed) as tasks,
           (select count(*) from task_attempts a join doomed d on d.id = a.task_id) as attempts,
           (select count(*) from task_events e join doomed d on d.id = e.task_id)
             -- A task whose submit events live in its row (submit-events.ts) counts those two.
             + (select 2 * count(*) from doomed where submit_events_in_row)
             -- An attempt counts the events it holds (run-events.ts).
             + (select coalesce(sum(a.derived_events), 0) from task_attempts a join doomed d on d.id = a.task_id) as events`));
  return { tasks: Number(r?.tasks ?? 0), attempts: Number(r?.attempts ?? 0), events: Number(r?.events ?? 0) };
}

/** Dead worker sessions stopped more than `olderThanMs` ago. */
export async function countPrunableWorkers(db: Db, olderThanMs: number): Promise<number> {
  const [r] = rows<{ n: string | number }>(await db.execute(sql`
    select count(*) as n from workers where status = 'dead' and stopped_at < now() - ${olderThanMs}::bigint * interval '1 millisecond'`));
  return Number(r?.n ?? 0);
}
