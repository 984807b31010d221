/**
 * Retries failed or cancelled tasks for a user, one bounded batch per transaction:
 * the bulk action (POST /api/tasks/retry) and the single retry (retry-task.ts)
 * write the same way. A manual retry gives the task a fresh retry budget (as
 * Sidekiq's and River's retry do): the task is due now, its attempt count goes on
 * (the history of earlier attempts stays intact), and `retry_base` records where
 * the new budget starts, so the retry policy counts only attempts after it
 * (docs/reliability.md, "Manual retry").
 */
import { sql } from "drizzle-orm";
import { canRetry, type TaskStatus } from "../../core/task-status.ts";
import type { Db } from "../client.ts";
import { notifySql, WAKE_CHANNEL } from "../channels.ts";
import { tasks, type TaskRow } from "../schema/index.ts";
import { recordTransitions } from "./record-transitions.ts";
import { statusListSql, uuidArray, type Executor } from "../sql.ts";

/** Statuses a user may retry. */
export const RETRYABLE_STATUSES: readonly TaskStatus[] = (["failed", "cancelled"] as const).filter((s) => canRetry(s));

/** Retries those of `ids` that failed or were cancelled; returns how many changed. */
export async function retryTasks(db: Db, ids: readonly string[], by: string): Promise<number> {
  if (ids.length === 0) return 0;
  return db.transaction(async (tx) => {
    const locked = await tx
      .select()
      .from(tasks)
      .where(sql`${tasks.id} = any(${uuidArray(ids)}::uuid[]) and ${tasks.status} in ${statusListSql(RETRYABLE_STATUSES)}`)
      .orderBy(tasks.id)
      .for("update");
    return (await retryLockedTasks(tx, locked, by)).length;
  });
}

/** Reschedules `locked` (rows this transaction holds `for update`, all retryable) now and returns them. */
export async function retryLockedTasks(tx: Executor, locked: readonly TaskRow[], by: string): Promise<TaskRow[]> {
  if (locked.length === 0) return [];
  const retried = await tx
    .update(tasks)
    .set({
      status: "scheduled",
      runAt: sql`now()`,
      // A fresh budget: the next attempt is the first of max_retries + 1 again.
      retryBase: sql`${tasks.attempt}`,
      manualRetries: sql`${tasks.manualRetries} + 1`,
      // The outcome of the last attempt stays in task_attempts; `worker` keeps naming its worker.
      workerId: null,
      pickedAt: null,
      startedAt: null,
      finishedAt: null,
      exitCode: null,
      error: null,
      updatedAt: sql`now()`,
    })
    .where(sql`${tasks.id} = any(${uuidArray(locked.map((t) => t.id))}::uuid[])`)
    .returning();
  await recordTransitions(
    tx,
    retried.map((t) => ({ taskId: t.id, attempt: t.attempt, status: "scheduled", message: `retried by ${by} (manual retry #${t.manualRetries}, a fresh budget of ${t.maxRetries + 1} attempts)` })),
  );
  await tx.execute(notifySql(WAKE_CHANNEL, [...new Set(locked.map((t) => t.queue))])!);
  const byId = new Map(retried.map((t) => [t.id, t]));
  return locked.map((t) => byId.get(t.id)!);
}
