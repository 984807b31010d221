/** loadInflight: the dispatch facts of attempts a reconnecting worker still runs, so their results can be judged. */
import { sql } from "drizzle-orm";
import type { AttemptRef } from "../../core/attempt.ts";
import { ACTIVE_STATUSES } from "../../core/task-status.ts";
import { statusListSql } from "../sql.ts";
import { rows } from "../rows.ts";
import { toClaimedTask, type ClaimedTask } from "./claim-due-tasks.ts";
import type { Executor } from "./record-transitions.ts";

export async function loadInflight(db: Executor, refs: AttemptRef[]): Promise<ClaimedTask[]> {
  if (refs.length === 0) return [];
  const input = JSON.stringify(refs.map((r) => ({ task_id: r.taskId, attempt: r.attempt, worker_id: r.workerId })));
  const r = await db.execute(sql`
    select t.id, t.attempt, t.name, t.command, t.env, t.queue, t.timeout_ms, t.max_retries, t.backoff_ms, t.backoff_factor, t.backoff_max_ms
    from tasks t join jsonb_to_recordset(${input}::jsonb) as i(task_id uuid, attempt int, worker_id uuid)
      on t.id = i.task_id and t.attempt = i.attempt and t.worker_id = i.worker_id
    where t.status in ${statusListSql(ACTIVE_STATUSES)}`);
  return rows<Parameters<typeof toClaimedTask>[0]>(r).map(toClaimedTask);
}
