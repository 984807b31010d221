/**
 * Cancels a task for a user. The task row is locked (`for update`) for the whole
 * transaction, so a result arriving at the same moment either lands before (and
 * the cancel answers 409) or waits and finds the task cancelled.
 */
import { and, eq, inArray, isNotNull, sql } from "drizzle-orm";
import { attemptOutcome } from "../../core/attempt.ts";
import { ConflictError, NotFoundError } from "../../core/errors.ts";
import { ACTIVE_STATUSES, canCancel, UNFINISHED_STATUSES, type TaskStatus } from "../../core/task-status.ts";
import type { Db } from "../client.ts";
import { CANCEL_CHANNEL, notifySql, type CancelRequest } from "../channels.ts";
import { taskAttempts, tasks, type TaskRow } from "../schema/index.ts";
import { recordTransitions } from "./record-transitions.ts";
import type { Executor } from "../sql.ts";

/**
 * Marks task `id` cancelled and returns it. A live attempt (picked or running) is
 * marked cancelled too, and a CancelRequest goes out so the coordinator holding
 * its worker kills the process. Throws NotFoundError, or ConflictError when the
 * task has already finished.
 */
export async function cancelTask(db: Db, id: string, reason = "cancelled by a user"): Promise<TaskRow> {
  return db.transaction(async (tx) => {
    const [task] = await tx.select().from(tasks).where(eq(tasks.id, id)).for("update");
    if (!task) throw new NotFoundError(`no task with id ${id}`);
    if (!canCancel(task.status as TaskStatus)) throw new ConflictError(`task ${id} is already ${task.status}`);
    const cancelled = await cancelRow(tx, task, reason);
    // A fanout parent (docs/placement.md): its unfinished children are cancelled with it, their processes killed.
    if (task.fanout !== null) {
      const children = await tx.select().from(tasks)
        .where(and(eq(tasks.parentId, id), isNotNull(tasks.parentId), inArray(tasks.status, UNFINISHED_STATUSES as TaskStatus[])))
        .orderBy(tasks.id).for("update");
      for (const child of children) await cancelRow(tx, child, `${reason} (its fanout parent was cancelled)`);
    }
    return cancelled;
  });
}

async function cancelRow(tx: Executor, task: TaskRow, reason: string): Promise<TaskRow> {
  const outcome = attemptOutcome({ kind: "cancelled", reason }, task);
  const [cancelled] = await tx
    .update(tasks)
    .set({ status: outcome.taskStatus, finishedAt: sql`now()`, error: outcome.error, updatedAt: sql`now()` })
    .where(eq(tasks.id, task.id))
    .returning();
  if (ACTIVE_STATUSES.includes(task.status as TaskStatus)) await stopLiveAttempt(tx, task, reason);
  await recordTransitions(tx, [{ taskId: task.id, attempt: task.attempt, status: outcome.taskStatus, worker: task.worker, message: outcome.message }]);
  return cancelled!;
}

/**
 * The attempt stays open (no finished_at) so the worker's report of the kill still
 * records its exit, output and end time on it; its status already says cancelled.
 */
async function stopLiveAttempt(tx: Executor, task: TaskRow, reason: string): Promise<void> {
  await tx
    .update(taskAttempts)
    .set({ status: "cancelled", error: reason })
    .where(and(eq(taskAttempts.taskId, task.id), eq(taskAttempts.attempt, task.attempt)));
  if (task.workerId === null) return;
  const request: CancelRequest = { task_id: task.id, attempt: task.attempt, worker_id: task.workerId, reason };
  const notify = notifySql(CANCEL_CHANNEL, [request]);
  if (notify) await tx.execute(notify);
}
