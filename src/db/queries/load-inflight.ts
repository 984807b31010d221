/** loadInflight: the dispatch facts of attempts a reconnecting worker still runs, so their results can be judged. */
import { sql } from "drizzle-orm";
import type { AttemptRef } from "../../core/attempt.ts";
import { ACTIVE_STATUSES } from "../../core/task-status.ts";
import type { ClaimedTask } from "../../core/attempt.ts";
import { toClaimedTask } from "./claim-due-tasks.ts";
import { attemptRefsSql, type Executor, rows, statusListSql } from "../sql.ts";

export async function loadInflight(db: Executor, refs: AttemptRef[]): Promise<ClaimedTask[]> {
  if (refs.length === 0) return [];
  const r = await db.execute(sql`
    select t.id, t.attempt, t.name, t.command, t.env, t.queue, t.timeout_ms, t.max_retries, t.retry_base, t.backoff_ms, t.backoff_factor, t.backoff_max_ms
    from tasks t join ${attemptRefsSql(refs)}
      on t.id = i.task_id and t.attempt = i.attempt and t.worker_id = i.worker_id
    where t.status in ${statusListSql(ACTIVE_STATUSES)}`);
  return rows<Parameters<typeof toClaimedTask>[0]>(r).map(toClaimedTask);
}
