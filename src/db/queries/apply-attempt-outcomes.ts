/**
 * applyAttemptOutcomes: the one writer of finished attempts (success, failure, timeout,
 * lost worker, kill). Fenced by (task, attempt, worker session): a result for an
 * attempt that is no longer current changes nothing and is reported as rejected.
 * One statement updates the attempts, the tasks and the timeline for a whole batch.
 */
import { sql } from "drizzle-orm";
import { executePrepared } from "../client.ts";
import { rows } from "../rows.ts";
import type { Executor } from "./record-transitions.ts";

export interface AttemptOutcomeWrite {
  taskId: string;
  attempt: number;
  workerId: string;
  /** What happened to the attempt. */
  attemptStatus: "completed" | "failed" | "lost";
  /** Where the task goes: done, failed for good, or back to scheduled for a retry. */
  taskStatus: "completed" | "failed" | "scheduled";
  /** Retry delay, for taskStatus "scheduled". */
  delayMs: number;
  exitCode: number | null;
  error: string | null;
  stdoutTail: string | null;
  stderrTail: string | null;
  /** When the worker started the process, if the start was never recorded. */
  startedAt: Date | null;
  /** Timeline note (e.g. "retry 1 of 3 in 2.0 s: exit code 1"). */
  message: string | null;
}

/** A (task, attempt) pair as a string key. */
export function attemptKey(taskId: string, attempt: number): string {
  return `${taskId}:${attempt}`;
}

/** Applies outcomes; returns the keys of the attempts that were current and so changed their task. */
export async function applyAttemptOutcomes(db: Executor, outcomes: AttemptOutcomeWrite[]): Promise<Set<string>> {
  if (outcomes.length === 0) return new Set();
  const input = JSON.stringify(
    outcomes.map((o) => ({
      task_id: o.taskId,
      attempt: o.attempt,
      worker_id: o.workerId,
      attempt_status: o.attemptStatus,
      task_status: o.taskStatus,
      delay_ms: Math.max(0, Math.round(o.delayMs)),
      exit_code: o.exitCode,
      error: o.error,
      stdout_tail: o.stdoutTail,
      stderr_tail: o.stderrTail,
      started_at: o.startedAt?.toISOString() ?? null,
      message: o.message,
    })),
  );
  const result = await executePrepared(db, sql`
    with input as (
      select * from jsonb_to_recordset(${input}::jsonb) as i(
        task_id uuid, attempt int, worker_id uuid, attempt_status text, task_status text, delay_ms bigint,
        exit_code int, error text, stdout_tail text, stderr_tail text, started_at timestamptz, message text)
    ), attempts as (
      update task_attempts a
      set status = case when a.status = 'cancelled' then a.status else i.attempt_status end,
          started_at = coalesce(a.started_at, i.started_at),
          finished_at = now(), exit_code = i.exit_code, error = coalesce(i.error, a.error),
          stdout_tail = i.stdout_tail, stderr_tail = i.stderr_tail
      from input i
      where a.task_id = i.task_id and a.attempt = i.attempt and a.worker_id = i.worker_id and a.finished_at is null
      returning a.task_id
    ), changed as (
      update tasks t
      set status = i.task_status,
          run_at = case when i.task_status = 'scheduled' then now() + i.delay_ms * interval '1 millisecond' else t.run_at end,
          started_at = coalesce(t.started_at, i.started_at),
          finished_at = case when i.task_status = 'scheduled' then null else now() end,
          exit_code = i.exit_code, error = i.error, updated_at = now()
      from input i
      where t.id = i.task_id and t.attempt = i.attempt and t.worker_id = i.worker_id and t.status in ('picked', 'running')
      returning t.id, t.attempt, t.status, t.worker
    ), events as (
      insert into task_events (task_id, attempt, status, worker, message)
      select c.id, c.attempt, c.status, c.worker, i.message from changed c join input i on i.task_id = c.id
    )
    select id, attempt from changed`);
  return new Set(rows<{ id: string; attempt: number }>(result).map((r) => attemptKey(r.id, Number(r.attempt))));
}
