/**
 * recordAttemptOutcomes: the one writer of ended attempts (success, failure,
 * timeout, lost worker, kill), and **the fence**: a result for an attempt that is
 * not current is refused here. An outcome changes its task only while the task's
 * (attempt, worker session) is still the outcome's and the task is live (picked or
 * running); anything else (a result from a worker declared dead, a result after a
 * cancel or a user's retry, a duplicate) changes no task and is reported as refused.
 * The coordinator's in-memory checks only exit early; this WHERE clause is the rule.
 *
 * One statement updates the attempts, the tasks and the timeline for a whole batch,
 * with the start reports folded into it (report-writer.ts) recorded first.
 */
import { sql } from "drizzle-orm";
import { attemptKey, type AttemptOutcome, type AttemptRef } from "../../core/attempt.ts";
import { ACTIVE_STATUSES } from "../../core/task-status.ts";
import { notifyRanSql, OUTPUT_CHANNEL } from "../channels.ts";
import { executePrepared } from "../client.ts";
import { attemptSetSql, type Executor, inAttemptSetSql, rows, statusListSql, statusSql } from "../sql.ts";

/** Attempt ends per notice on OUTPUT_CHANNEL: 100 keys of ≤ 56 bytes stay under NOTIFY's 8000-byte payload. */
const ENDS_PER_NOTICE = 100;

/** An attempt's outcome (core/attempt.ts:attemptOutcome) with what the worker reported. */
export interface AttemptOutcomeWrite extends AttemptRef, AttemptOutcome {
  exitCode: number | null;
  stdoutTail: string | null;
  stderrTail: string | null;
  /** When the worker started the process, if the start was never recorded. */
  startedAt: Date | null;
  /** How long the process ran by the worker's clock (finished minus started), when it said. */
  runMs?: number | null;
  /**
   * The attempt's start report, never written, folded into this write (report-writer.ts): the
   * attempt records `running`, then this outcome. Its started_at stays on the database's clock, as
   * every status time: this write's now() less the run time the worker measured, never before the
   * pick; spawned_at is the worker's own stamp, as the start report would have written it.
   */
  foldedStart?: { spawnedAtUs: number | null };
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
      fold: o.foldedStart !== undefined,
      spawned_us: o.foldedStart?.spawnedAtUs ?? null,
      run_ms: o.runMs ?? null,
    })),
  );
  // Every step reads the batch once: `reported` carries each report with its folded start, the
  // updates take it in their FROM and pass on what later steps need in RETURNING, and the one lookup
  // between steps (did this attempt's folded start move its task?) goes through a key set, so no
  // step scans another step's rows per row (see attemptSetSql).
  const result = await executePrepared(db, sql`
    with reported as (
      select i.*, timestamptz 'epoch' + i.spawned_us * interval '1 microsecond' as spawned_at,
             coalesce(u.unstarted, false) as unstarted, u.derived_events, u.at as fold_started_at, u.lag
      from jsonb_to_recordset(${input}::jsonb) as i(
        task_id uuid, attempt int, worker_id uuid, attempt_status text, task_status text, delay_ms bigint,
        exit_code int, error text, stdout_tail text, stderr_tail text, started_at timestamptz, message text,
        fold boolean, spawned_us bigint, run_ms bigint)
      -- A folded start whose attempt's start was never recorded, as the rows were before this statement:
      -- started on the database's clock (see AttemptOutcomeWrite.foldedStart), the lag from the run_at a
      -- retry is about to move.
      left join lateral (
        select true as unstarted, a.derived_events, s.at, extract(epoch from s.at - t.run_at)::float8 as lag
        from task_attempts a
        join tasks t on t.id = a.task_id
        cross join lateral (select least(now(), greatest(a.picked_at, now() - coalesce(i.run_ms, 0) * interval '1 millisecond')) as at) s
        where i.fold and a.task_id = i.task_id and a.attempt = i.attempt and a.worker_id = i.worker_id
          and a.started_at is null and a.finished_at is null
      ) u on true
    ), changed as (
      update tasks t
      set status = r.task_status,
          run_at = case when r.task_status = ${statusSql("scheduled")} then now() + r.delay_ms * interval '1 millisecond' else t.run_at end,
          started_at = coalesce(t.started_at, r.fold_started_at, r.started_at),
          finished_at = case when r.task_status = ${statusSql("scheduled")} then null else now() end,
          exit_code = r.exit_code, error = r.error, updated_at = now()
      from reported r
      -- The fence: only the current attempt, on its own worker session, of a live task.
      where t.id = r.task_id and t.attempt = r.attempt and t.worker_id = r.worker_id and t.status in ${statusListSql(ACTIVE_STATUSES)}
      returning t.id, t.attempt, t.status, t.worker, t.queue, t.schedule_id, t.started_at, r.message, r.unstarted, r.derived_events, r.lag
    ), started as (
      -- Folded starts that moved their task: each records running before the outcome, as its own write would have.
      select id, attempt, worker, queue, schedule_id, started_at, derived_events, lag from changed where unstarted
    ), moved as materialized (${attemptSetSql(sql`select id, attempt from started where derived_events = 1`)}
    ), attempts as (
      update task_attempts a
      set status = case when a.status = 'cancelled' then a.status else r.attempt_status end,
          started_at = coalesce(a.started_at, r.fold_started_at, r.started_at),
          spawned_at = coalesce(a.spawned_at, r.spawned_at),
          derived_events = case when ${inAttemptSetSql("m.attempts", "a.task_id", "a.attempt")} then 2 else a.derived_events end,
          finished_at = now(), exit_code = r.exit_code, error = coalesce(r.error, a.error),
          stdout_tail = r.stdout_tail, stderr_tail = r.stderr_tail
      from reported r, moved m
      where a.task_id = r.task_id and a.attempt = r.attempt and a.worker_id = r.worker_id and a.finished_at is null
      returning a.task_id, a.attempt
    ), events as (
      insert into task_events (task_id, attempt, status, worker, message, at)
      select task_id, attempt, status, worker, message, at from (
        -- An attempt whose picked event is stored stores its running event too (run-events.ts).
        select s.id as task_id, s.attempt, ${statusSql("running")} as status, s.worker, null as message, s.started_at as at, 0 as ord
        from started s where s.derived_events = 0
        union all
        select c.id, c.attempt, c.status, c.worker, c.message, now(), 1 from changed c
      ) e order by ord
    ), notified as (${notifyRanSql("running", sql`
      select id, attempt, queue, lag, (schedule_id is not null)::int as schedule, row_number() over () as ord
      from started where derived_events = 1`)}
    ), ended as (
      -- Every attempt that ended tells its log's followers, also when its task did not
      -- change (the result of a cancelled attempt): open pages show the attempt's end.
      select count(pg_notify(${OUTPUT_CHANNEL}, e.payload)) as notices from (
        select json_agg(a.task_id::text || ':' || a.attempt || ':end')::text as payload
        from (select task_id, attempt, (row_number() over () - 1) / ${sql.raw(String(ENDS_PER_NOTICE))} as chunk from attempts) a
        group by a.chunk
      ) e
    )
    -- ended's one row is read on its own branch, so its notices go out also when no task changed.
    select id, attempt, true as changed from changed, notified
    union all
    select null, null, false from ended`);
  return new Set(rows<{ id: string; attempt: number; changed: boolean }>(result).filter((r) => r.changed).map((r) => attemptKey(r.id, Number(r.attempt))));
}
