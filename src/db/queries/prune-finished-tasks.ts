/**
 * pruneFinishedTasks: removes one batch of tasks of a finished status that
 * finished longer ago than a given age, with their attempts (and output tails)
 * and events, in one statement. Oldest first, read backwards from the index
 * tasks_status_finished_idx, so a batch touches only the rows it removes.
 *
 * - Rows are locked `for update skip locked`: pruners running at once split the
 *   work and never delete a row twice, and a row a retry or a late result is
 *   changing right now is skipped (it is no longer finished when that commits;
 *   if it still is, a later batch takes it). A locked row is re-checked against
 *   the status and age, so a task retried before the lock is never removed.
 * - A schedule whose last task is removed keeps that task's status
 *   (schedules.last_task_status), so its last run still shows how it ended.
 * - The rows removed are added to prune_totals by the same statement.
 */
import { sql } from "drizzle-orm";
import type { FinishedStatus } from "../../core/retention.ts";
import { executePrepared, type Db } from "../client.ts";
import { rows } from "../sql.ts";
import { addToPruneTotals } from "./prune-totals.ts";

export interface PrunedTasks {
  tasks: number;
  attempts: number;
  events: number;
}

export interface PruneTasksBatch {
  status: FinishedStatus;
  /** Remove tasks that finished longer ago than this (0: every finished task of the status). */
  olderThanMs: number;
  /** Tasks per batch: small enough that the statement holds its locks briefly. */
  limit: number;
}

const STATUSES: readonly string[] = ["completed", "failed", "cancelled"];

/** Removes up to `limit` tasks and answers how many rows went from each table. */
export async function pruneFinishedTasks(db: Db, batch: PruneTasksBatch): Promise<PrunedTasks> {
  // Status and limit are part of the text (three statuses, a few limits): a plan made for
  // `status = $1` could not use the partial index, whose predicate names the statuses.
  if (!STATUSES.includes(batch.status)) throw new Error(`not a finished status: ${batch.status}`);
  if (!Number.isInteger(batch.limit) || batch.limit < 1) throw new Error(`bad batch limit: ${batch.limit}`);
  // A task whose submit events live in its row (submit-events.ts) takes those two with it, an attempt
  // the events it holds (run-events.ts).
  const counts = sql`select (select count(*) from gone) as tasks, (select count(*) from attempts) as attempts,
    (select count(*) from events) + (select 2 * count(*) from doomed where submit_events_in_row)
      + (select coalesce(sum(derived_events), 0) from attempts) as events`;
  const result = await executePrepared(db, sql`
    with doomed as (
      select id, status, submit_events_in_row from tasks
      where status = ${sql.raw(`'${batch.status}'`)} and finished_at < now() - ${batch.olderThanMs}::bigint * interval '1 millisecond'
      order by finished_at asc nulls first, id asc nulls first
      limit ${sql.raw(String(batch.limit))}
      for update skip locked
    ), events as (
      delete from task_events e using doomed d where e.task_id = d.id returning 1
    ), attempts as (
      -- Their stored output (task_output_chunks) goes with them (on delete cascade).
      delete from task_attempts a using doomed d where a.task_id = d.id returning a.derived_events
    ), edges as (
      -- The run-after edges of a pruned task (its own; edges of live tasks to it stay, done).
      delete from task_dependencies x using doomed d where x.task_id = d.id returning 1
    ), last_runs as (
      update schedules s set last_task_status = d.status from doomed d where s.last_task_id = d.id returning 1
    ), gone as (
      delete from tasks t using doomed d where t.id = d.id returning 1
    ), totals as (${addToPruneTotals(counts, { tasks: "tasks", task_attempts: "attempts", task_events: "events" })})
    ${counts}`);
  const [r] = rows<{ tasks: string | number; attempts: string | number; events: string | number }>(result);
  return { tasks: Number(r?.tasks ?? 0), attempts: Number(r?.attempts ?? 0), events: Number(r?.events ?? 0) };
}
