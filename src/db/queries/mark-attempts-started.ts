/**
 * markAttemptsStarted: a worker started the processes of these attempts (picked → running).
 * Fenced like every attempt write: only the current attempt on its own worker moves.
 */
import { sql } from "drizzle-orm";
import { executePrepared } from "../client.ts";
import { attemptKey, type AttemptRef } from "../../core/attempt.ts";
import { type Executor, rows, statusSql } from "../sql.ts";

/** An attempt whose process started, with the worker's own clock of the spawn (µs since the epoch; null from older workers). */
export interface AttemptStart extends AttemptRef {
  spawnedAtUs?: number | null;
}

/** Returns the keys of the attempts that moved to running. */
export async function markAttemptsStarted(db: Executor, started: AttemptStart[]): Promise<Set<string>> {
  if (started.length === 0) return new Set();
  const input = JSON.stringify(started.map((r) => ({ task_id: r.taskId, attempt: r.attempt, worker_id: r.workerId, spawned_us: r.spawnedAtUs })));
  // started_at stays the database's clock (one clock for every status time);
  // spawned_at is the worker's, the truer start of the process.
  const result = await executePrepared(db, sql`
    with input as (
      select * from jsonb_to_recordset(${input}::jsonb) as i(task_id uuid, attempt int, worker_id uuid, spawned_us bigint)
    ), attempts as (
      update task_attempts a set status = ${statusSql("running")}, started_at = now(),
        spawned_at = timestamptz 'epoch' + i.spawned_us * interval '1 microsecond'
      from input i
      where a.task_id = i.task_id and a.attempt = i.attempt and a.worker_id = i.worker_id and a.status = ${statusSql("picked")}
      returning a.task_id
    ), changed as (
      update tasks t set status = ${statusSql("running")}, started_at = now(), updated_at = now()
      from input i
      where t.id = i.task_id and t.attempt = i.attempt and t.worker_id = i.worker_id and t.status = ${statusSql("picked")}
      returning t.id, t.attempt, t.worker
    ), events as (
      insert into task_events (task_id, attempt, status, worker) select id, attempt, ${statusSql("running")}, worker from changed
    )
    select id, attempt from changed`);
  return new Set(rows<{ id: string; attempt: number }>(result).map((r) => attemptKey(r.id, Number(r.attempt))));
}
