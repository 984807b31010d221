/**
 * listQueues: every queue that has had a task, was paused, or is served by a live
 * worker, with whether it is paused and the live workers serving it (their number,
 * slots, and tasks picked or running on them). Task counts and lag per queue come
 * from countLiveTasks, the one live count.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import { ACTIVE_STATUSES } from "../../core/task-status.ts";
import { rows, statusListSql } from "../sql.ts";

export interface QueueServing {
  name: string;
  paused: boolean;
  pausedAt: Date | null;
  /** Alive worker sessions that take this queue. */
  workers: number;
  /** Their concurrency, summed. */
  slots: number;
  /** Tasks picked or running on them (from any of their queues). */
  busy: number;
}

export async function listQueues(db: Db): Promise<QueueServing[]> {
  const found = rows<{ name: string; paused: boolean | null; paused_at: string | Date | null; workers: number | string; slots: number | string; busy: number | string }>(
    await db.execute(sql`
      with names as (
        select name from queues union select unnest(queues) from workers where status = 'alive'
      ), serving as (
        select n.name, w.id, w.concurrency from names n join workers w on w.status = 'alive' and n.name = any(w.queues)
      )
      select n.name, q.paused, q.paused_at,
             (select count(*) from serving s where s.name = n.name) as workers,
             (select coalesce(sum(s.concurrency), 0) from serving s where s.name = n.name) as slots,
             (select count(*) from tasks t join serving s on s.name = n.name and t.worker_id = s.id
              where t.status in ${statusListSql(ACTIVE_STATUSES)}) as busy
      from names n left join queues q on q.name = n.name
      order by n.name`),
  );
  return found.map((r) => ({
    name: r.name,
    paused: r.paused === true,
    pausedAt: r.paused_at === null ? null : new Date(r.paused_at),
    workers: Number(r.workers),
    slots: Number(r.slots),
    busy: Number(r.busy),
  }));
}
