/** listLiveAttempts: the live attempts (picked or running) of one worker session, with their age by the database clock. */
import { sql } from "drizzle-orm";
import { ACTIVE_STATUSES } from "../../core/task-status.ts";
import { rows, statusListSql, type Executor } from "../sql.ts";

export interface LiveAttempt {
  taskId: string;
  attempt: number;
  /** Since the claim. */
  ageMs: number;
}

export async function listLiveAttempts(db: Executor, workerId: string): Promise<LiveAttempt[]> {
  const r = rows<{ id: string; attempt: number; age_ms: string | number }>(await db.execute(sql`
    select id, attempt, extract(epoch from (now() - picked_at)) * 1000 as age_ms
    from tasks where worker_id = ${workerId} and status in ${statusListSql(ACTIVE_STATUSES)}`));
  return r.map((x) => ({ taskId: x.id, attempt: Number(x.attempt), ageMs: Number(x.age_ms) }));
}
