/**
 * markAttemptsStarted: a worker started the processes of these attempts (picked → running).
 * Fenced like every attempt write: only the current attempt on its own worker moves.
 * Its `running` event is read from the attempt row (run-events.ts) and published by this statement.
 */
import { sql, type SQL } from "drizzle-orm";
import { notifyRanSql } from "../channels.ts";
import { executePrepared } from "../client.ts";
import { attemptKey, type AttemptRef } from "../../core/attempt.ts";
import { attemptSetSql, type Executor, inAttemptSetSql, rows, statusSql } from "../sql.ts";

/** An attempt whose process started, with the worker's own clock of the spawn (µs since the epoch; null from older workers). */
export interface AttemptStart extends AttemptRef {
  spawnedAtUs?: number | null;
  /**
   * How long the report waited in the coordinator before this write (report-writer.ts holds
   * starts): the start is dated that much before the write, never before the pick.
   */
  heldMs?: number;
}

/** Returns the keys of the attempts that moved to running. */
export async function markAttemptsStarted(db: Executor, started: AttemptStart[]): Promise<Set<string>> {
  if (started.length === 0) return new Set();
  const input = JSON.stringify(
    started.map((r) => ({ task_id: r.taskId, attempt: r.attempt, worker_id: r.workerId, spawned_us: r.spawnedAtUs, held_ms: Math.max(0, Math.round(r.heldMs ?? 0)) })),
  );
  // started_at stays the database's clock (one clock for every status time), dated back by the
  // coordinator's hold; spawned_at is the worker's, the truer start of the process.
  // The running event is the attempt row (derived_events 1 → 2, run-events.ts) when the task moved and
  // its picked event is the row too; an attempt claimed before derived events keeps storing its events.
  // Which attempts moved is looked up through key sets, not a scan of another step per row (attemptSetSql).
  const result = await executePrepared(db, sql`
    with input as (
      select * from jsonb_to_recordset(${input}::jsonb) as i(task_id uuid, attempt int, worker_id uuid, spawned_us bigint, held_ms bigint)
    ), changed as (
      update tasks t set status = ${statusSql("running")}, started_at = ${heldStart("t")}, updated_at = now()
      from input i
      where t.id = i.task_id and t.attempt = i.attempt and t.worker_id = i.worker_id and t.status = ${statusSql("picked")}
      returning t.id, t.attempt, t.worker, t.queue, t.schedule_id, extract(epoch from t.started_at - t.run_at)::float8 as lag
    ), moved as materialized (${attemptSetSql(sql`select id, attempt from changed`)}
    ), attempts as (
      update task_attempts a set status = ${statusSql("running")}, started_at = ${heldStart("a")},
        spawned_at = timestamptz 'epoch' + i.spawned_us * interval '1 microsecond',
        derived_events = case when a.derived_events = 1 and ${inAttemptSetSql("m.attempts", "a.task_id", "a.attempt")}
                              then 2 else a.derived_events end
      from input i, moved m
      where a.task_id = i.task_id and a.attempt = i.attempt and a.worker_id = i.worker_id and a.status = ${statusSql("picked")}
      returning a.task_id, a.attempt, a.derived_events
    ), derived as materialized (${attemptSetSql(sql`select task_id as id, attempt from attempts where derived_events = 2`)}
    ), events as (
      insert into task_events (task_id, attempt, status, worker)
      select c.id, c.attempt, ${statusSql("running")}, c.worker from changed c, derived d
      where not ${inAttemptSetSql("d.attempts", "c.id", "c.attempt")}
    ), notified as (${notifyRanSql("running", sql`
      select c.id, c.attempt, c.queue, c.lag, (c.schedule_id is not null)::int as schedule, row_number() over () as ord
      from changed c, derived d where ${inAttemptSetSql("d.attempts", "c.id", "c.attempt")}`)})
    select id, attempt from changed, notified`);
  return new Set(rows<{ id: string; attempt: number }>(result).map((r) => attemptKey(r.id, Number(r.attempt))));
}

/** When the report reached the coordinator, on the database's clock: the write's now() less the hold, never before the pick (the same in both rows). */
function heldStart(row: "t" | "a"): SQL {
  return sql.raw(`least(now(), greatest(${row}.picked_at, now() - i.held_ms * interval '1 millisecond'))`);
}
