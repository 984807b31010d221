/**
 * recordAttemptOutcomes: the one writer of ended attempts (success, failure,
 * timeout, lost worker, kill), and **the fence**: a result for an attempt that is
 * not current is refused here. An outcome changes its task only while the task's
 * (attempt, worker session) is still the outcome's and the task is live (picked or
 * running); anything else (a result from a worker declared dead, a result after a
 * cancel or a user's retry, a duplicate) changes no task and is reported as refused.
 * The coordinator's in-memory checks only exit early; this WHERE clause is the rule.
 *
 * One statement updates the attempts, the tasks and the timeline for a whole batch.
 */
import { sql } from "drizzle-orm";
import { attemptKey, type AttemptOutcome, type AttemptRef } from "../../core/attempt.ts";
import { ACTIVE_STATUSES } from "../../core/task-status.ts";
import { OUTPUT_CHANNEL } from "../channels.ts";
import { executePrepared } from "../client.ts";
import { type Executor, rows, statusListSql, statusSql } from "../sql.ts";

/** An attempt's outcome (core/attempt.ts:attemptOutcome) with what the worker reported. */
export interface AttemptOutcomeWrite extends AttemptRef, AttemptOutcome {
  exitCode: number | null;
  stdoutTail: string | null;
  stderrTail: string | null;
  /** When the worker started the process, if the start was never recorded. */
  startedAt: Date | null;
}

/** Records outcomes; returns the keys of the attempts that were current and so changed their task (the others were refused). */
export async function recordAttemptOutcomes(db: Executor, outcomes: AttemptOutcomeWrite[]): Promise<Set<string>> {
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
      returning a.task_id, a.attempt
    ), changed as (
      update tasks t
      set status = i.task_status,
          run_at = case when i.task_status = ${statusSql("scheduled")} then now() + i.delay_ms * interval '1 millisecond' else t.run_at end,
          started_at = coalesce(t.started_at, i.started_at),
          finished_at = case when i.task_status = ${statusSql("scheduled")} then null else now() end,
          exit_code = i.exit_code, error = i.error, updated_at = now()
      from input i
      -- The fence: only the current attempt, on its own worker session, of a live task.
      where t.id = i.task_id and t.attempt = i.attempt and t.worker_id = i.worker_id and t.status in ${statusListSql(ACTIVE_STATUSES)}
      returning t.id, t.attempt, t.status, t.worker
    ), events as (
      insert into task_events (task_id, attempt, status, worker, message)
      select c.id, c.attempt, c.status, c.worker, i.message from changed c join input i on i.task_id = c.id
    )
    select id, attempt, true as changed from changed
    -- Every attempt that ended tells its log's followers, also when its task did not
    -- change (the result of a cancelled attempt): open pages show the attempt's end.
    union all
    select e.task_id, e.attempt, false from (
      select a.task_id, a.attempt, pg_notify(${OUTPUT_CHANNEL}, json_build_array(a.task_id::text || ':' || a.attempt || ':end')::text) from attempts a
    ) e`);
  return new Set(rows<{ id: string; attempt: number; changed: boolean }>(result).filter((r) => r.changed).map((r) => attemptKey(r.id, Number(r.attempt))));
}
