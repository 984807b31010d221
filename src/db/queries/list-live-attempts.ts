/**
 * listLiveAttempts: for many worker sessions at once (a coordinator's heartbeats of
 * one interval), whether each is still alive and its live attempts (picked or
 * running) with their age by the database clock. One statement whatever the number
 * of sessions (through tasks_active_worker_idx).
 */
import { sql } from "drizzle-orm";
import { ACTIVE_STATUSES } from "../../core/task-status.ts";
import { rows, statusListSql, uuidArray, type Executor } from "../sql.ts";

export interface LiveAttempt {
  taskId: string;
  attempt: number;
  /** Since the claim. */
  ageMs: number;
}

export interface SessionAttempts {
  /** False when the session was declared dead (or is unknown): its messages are refused from then on. */
  alive: boolean;
  live: LiveAttempt[];
}

export async function listLiveAttempts(db: Executor, workerIds: string[]): Promise<Map<string, SessionAttempts>> {
  const out = new Map<string, SessionAttempts>(workerIds.map((id) => [id, { alive: false, live: [] }]));
  if (workerIds.length === 0) return out;
  const r = rows<{ worker_id: string; status: string; id: string | null; attempt: number | null; age_ms: string | number | null }>(await db.execute(sql`
    select w.id as worker_id, w.status, t.id, t.attempt, extract(epoch from (now() - t.picked_at)) * 1000 as age_ms
    from workers w
    left join tasks t on t.worker_id = w.id and t.status in ${statusListSql(ACTIVE_STATUSES)}
    where w.id = any(${uuidArray(workerIds)}::uuid[])`));
  for (const x of r) {
    const s = out.get(x.worker_id)!;
    s.alive = x.status !== "dead";
    if (x.id !== null) s.live.push({ taskId: x.id, attempt: Number(x.attempt), ageMs: Number(x.age_ms) });
  }
  return out;
}
