/**
 * Cancels tasks for a user, one bounded batch per transaction: the bulk action
 * (POST /api/tasks/cancel) and the single cancel (cancel-task.ts) write the same
 * way, so their events, webhooks and the kill of live attempts are the same.
 * Rows are locked (`for update`, in id order so two bulk cancels cannot deadlock)
 * for the batch's transaction only.
 */
import { sql } from "drizzle-orm";
import { attemptOutcome } from "../../core/attempt.ts";
import { ACTIVE_STATUSES, canCancel, type TaskStatus } from "../../core/task-status.ts";
import type { Db } from "../client.ts";
import { CANCEL_CHANNEL, notifySql, type CancelRequest } from "../channels.ts";
import { tasks, type TaskRow } from "../schema/index.ts";
import { recordTransitions } from "./record-transitions.ts";
import { statusListSql, uuidArray, type Executor } from "../sql.ts";

/** Statuses a user may cancel: every status before the end. */
export const CANCELLABLE_STATUSES: readonly TaskStatus[] = (["created", "scheduled", "picked", "running"] as const).filter((s) => canCancel(s));

/** Cancels those of `ids` that have not finished; returns how many changed. */
export async function cancelTasks(db: Db, ids: readonly string[], reason: string): Promise<number> {
  if (ids.length === 0) return 0;
  return db.transaction(async (tx) => {
    const locked = await tx
      .select()
      .from(tasks)
      .where(sql`${tasks.id} = any(${uuidArray(ids)}::uuid[]) and ${tasks.status} in ${statusListSql(CANCELLABLE_STATUSES)}`)
      .orderBy(tasks.id)
      .for("update");
    return (await cancelLockedTasks(tx, locked, reason)).length;
  });
}

/**
 * Cancels `locked` (rows this transaction holds `for update`, all cancellable) and returns them as cancelled.
 * A live attempt (picked or running) is marked cancelled too, and a CancelRequest goes out so the
 * coordinator holding its worker kills the process (coordinator/cancel-relay.ts). The attempt stays
 * open (no finished_at) so the worker's report of the kill still records its exit, output and end time.
 */
export async function cancelLockedTasks(tx: Executor, locked: readonly TaskRow[], reason: string): Promise<TaskRow[]> {
  if (locked.length === 0) return [];
  // The same decision as an attempt's end (core/attempt.ts); a cancel does not depend on the task.
  const outcome = attemptOutcome({ kind: "cancelled", reason }, { attempt: 0, maxRetries: 0, backoffMs: 0, backoffFactor: 1, backoffMaxMs: 0 });
  const ids = uuidArray(locked.map((t) => t.id));
  const cancelled = await tx
    .update(tasks)
    .set({ status: outcome.taskStatus, finishedAt: sql`now()`, error: outcome.error, updatedAt: sql`now()` })
    .where(sql`${tasks.id} = any(${ids}::uuid[])`)
    .returning();
  const live = locked.filter((t) => ACTIVE_STATUSES.includes(t.status as TaskStatus));
  if (live.length > 0) {
    const refs = JSON.stringify(live.map((t) => ({ task_id: t.id, attempt: t.attempt })));
    await tx.execute(sql`
      update task_attempts a set status = 'cancelled', error = ${reason}
      from jsonb_to_recordset(${refs}::jsonb) as i(task_id uuid, attempt int)
      where a.task_id = i.task_id and a.attempt = i.attempt`);
    const requests: CancelRequest[] = live.flatMap((t) => (t.workerId === null ? [] : [{ task_id: t.id, attempt: t.attempt, worker_id: t.workerId, reason }]));
    const notify = notifySql(CANCEL_CHANNEL, requests);
    if (notify) await tx.execute(notify);
  }
  await recordTransitions(
    tx,
    locked.map((t) => ({ taskId: t.id, attempt: t.attempt, status: outcome.taskStatus, worker: t.worker, message: outcome.message })),
  );
  await cancelFanoutChildren(tx, locked, reason);
  // In the order asked (the caller's order), as the update's rows come back in no particular one.
  const byId = new Map(cancelled.map((t) => [t.id, t]));
  return locked.map((t) => byId.get(t.id)!);
}

/** A fanout parent's unfinished children are cancelled with it, their processes killed (docs/placement.md). */
async function cancelFanoutChildren(tx: Executor, parents: readonly TaskRow[], reason: string): Promise<void> {
  const fanoutIds = parents.filter((t) => t.fanout !== null).map((t) => t.id);
  if (fanoutIds.length === 0) return;
  const children = await tx
    .select()
    .from(tasks)
    .where(sql`${tasks.parentId} = any(${uuidArray(fanoutIds)}::uuid[]) and ${tasks.status} in ${statusListSql(CANCELLABLE_STATUSES)}`)
    .orderBy(tasks.id)
    .for("update");
  await cancelLockedTasks(tx, children, `${reason} (its fanout parent was cancelled)`);
}
