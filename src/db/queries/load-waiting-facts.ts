/**
 * loadWaitingFacts: for scheduled tasks, what the claim looks at (core/waiting-reason.ts
 * turns it into words): run_at, unfinished dependencies, the queue's pause, the
 * concurrency key's holders, and the live workers serving the queue (those its
 * selector and pin allow, docs/placement.md) with their busy slots. One statement for any number of tasks (the task list asks for a page).
 */
import { sql } from "drizzle-orm";
import { REASON_MAX_IDS, type WaitingFacts } from "../../core/waiting-reason.ts";
import { ACTIVE_STATUSES } from "../../core/task-status.ts";
import type { Executor } from "../sql.ts";
import { rows, statusListSql, statusSql, uuidArray } from "../sql.ts";

interface FactsRow {
  id: string;
  queue: string;
  future: boolean;
  blocked_by: number;
  dependencies: string[] | string | null;
  paused: boolean | null;
  concurrency_key: string | null;
  key_active: number | string;
  key_limit: number | string;
  holders: string[] | string | null;
  workers: number | string;
  slots: number | string;
  busy: number | string;
  selector: Record<string, string> | string | null;
  pinned_worker: string | null;
  queue_workers: number | string;
  fanout: string | null;
}

/** Facts by task id, for those of `ids` that are scheduled. */
export async function loadWaitingFacts(db: Executor, ids: string[]): Promise<Map<string, WaitingFacts>> {
  if (ids.length === 0) return new Map();
  const active = statusListSql(ACTIVE_STATUSES);
  const found = rows<FactsRow>(
    await db.execute(sql`
      select t.id, t.queue, t.run_at > now() as future, t.blocked_by, q.paused, t.concurrency_key,
             t.selector, t.pinned_worker, t.fanout, s.queue_workers,
             (select json_agg(d.depends_on) from (select depends_on from task_dependencies
               where task_id = t.id and not done limit ${REASON_MAX_IDS}) d) as dependencies,
             (select count(*) from tasks h where h.concurrency_key = t.concurrency_key and h.status in ${active}) as key_active,
             coalesce(k.lim, t.concurrency_limit) as key_limit,
             (select json_agg(h.id) from (select id from tasks h where h.concurrency_key = t.concurrency_key
               and h.status in ${active} limit ${REASON_MAX_IDS}) h) as holders,
             s.workers, s.slots,
             (select count(*) from tasks b where b.status in ${active} and b.worker_id = any(s.ids)) as busy
      from tasks t
      left join queues q on q.name = t.queue
      left join concurrency_keys k on k.key = t.concurrency_key
      cross join lateral (
        -- Workers that may take it: the same selector rule and pin as the claim's (claim-due-tasks.ts).
        select count(*) filter (where m.ok) as workers, coalesce(sum(w.concurrency) filter (where m.ok), 0) as slots,
               coalesce(array_agg(w.id) filter (where m.ok), '{}') as ids, count(*) as queue_workers
        from workers w
        cross join lateral (
          select (t.pinned_worker is null or w.name = t.pinned_worker)
             and not exists (select 1 from jsonb_each_text(coalesce(t.selector, '{}'::jsonb)) e
                             where w.labels ->> e.key is null or (e.value <> '*' and w.labels ->> e.key <> e.value)) as ok
        ) m
        where w.status = 'alive' and t.queue = any(w.queues)
      ) s
      where t.id = any(${uuidArray(ids)}::uuid[]) and t.status = ${statusSql("scheduled")}`),
  );
  return new Map(found.map((r) => [r.id, toFacts(r)]));
}

function toFacts(r: FactsRow): WaitingFacts {
  return {
    queue: r.queue,
    runAtFuture: r.future === true,
    blockedBy: Number(r.blocked_by),
    dependencies: jsonList(r.dependencies),
    queuePaused: r.paused === true,
    concurrencyKey: r.concurrency_key,
    keyActive: Number(r.key_active),
    keyLimit: Number(r.key_limit),
    keyHolders: jsonList(r.holders),
    workers: Number(r.workers),
    slots: Number(r.slots),
    busy: Number(r.busy),
    selector: typeof r.selector === "string" ? (JSON.parse(r.selector) as Record<string, string>) : r.selector,
    pinnedWorker: r.pinned_worker,
    queueWorkers: Number(r.queue_workers),
    fanoutParent: r.fanout !== null,
  };
}

/** json_agg arrives parsed on one driver and as text on the other. */
function jsonList(v: string[] | string | null): string[] {
  if (v === null) return [];
  return typeof v === "string" ? (JSON.parse(v) as string[]) : v;
}
