/**
 * currentAttempts: which of these attempts are still current and live (picked or
 * running) on their worker session. A read for early exits (a resumed session
 * keeps only current attempts; a refused start is killed); the write that decides
 * is the fence in record-attempt-outcomes.ts.
 */
import { sql } from "drizzle-orm";
import { attemptKey, type AttemptRef } from "../../core/attempt.ts";
import { ACTIVE_STATUSES } from "../../core/task-status.ts";
import { executePrepared } from "../client.ts";
import { attemptRefsSql, rows, statusListSql, type Executor } from "../sql.ts";

/** The attempt keys of those still current. */
export async function currentAttempts(db: Executor, refs: AttemptRef[]): Promise<Set<string>> {
  if (refs.length === 0) return new Set();
  const result = await executePrepared(db, sql`
    select t.id, t.attempt from tasks t
    join ${attemptRefsSql(refs)}
      on t.id = i.task_id and t.attempt = i.attempt and t.worker_id = i.worker_id
    where t.status in ${statusListSql(ACTIVE_STATUSES)}`);
  return new Set(rows<{ id: string; attempt: number }>(result).map((r) => attemptKey(r.id, Number(r.attempt))));
}
