/**
 * Retries a failed or cancelled task for a user: it is due again now and keeps
 * its attempt count, so the next claim starts attempt n+1 and the history of
 * earlier attempts stays intact.
 */
import { eq, sql } from "drizzle-orm";
import { ConflictError, NotFoundError } from "../../core/errors.ts";
import { canRetry, type TaskStatus } from "../../core/task-status.ts";
import type { Db } from "../client.ts";
import { notifySql, WAKE_CHANNEL } from "../channels.ts";
import { tasks, type TaskRow } from "../schema/index.ts";
import { recordTransitions } from "./record-transitions.ts";

/** Reschedules task `id` now and returns it; its event says who retried it (`by`: "api", "dashboard"). Throws NotFoundError, or ConflictError unless it failed or was cancelled. */
export async function retryTask(db: Db, id: string, by = "a user"): Promise<TaskRow> {
  return db.transaction(async (tx) => {
    const [task] = await tx.select().from(tasks).where(eq(tasks.id, id)).for("update");
    if (!task) throw new NotFoundError(`no task with id ${id}`);
    if (!canRetry(task.status as TaskStatus)) throw new ConflictError(`task ${id} is ${task.status}; only failed or cancelled tasks can be retried`);
    const [retried] = await tx
      .update(tasks)
      .set({
        status: "scheduled",
        runAt: sql`now()`,
        // The outcome of the last attempt stays in task_attempts; `worker` keeps naming its worker.
        workerId: null,
        pickedAt: null,
        startedAt: null,
        finishedAt: null,
        exitCode: null,
        error: null,
        updatedAt: sql`now()`,
      })
      .where(eq(tasks.id, id))
      .returning();
    await recordTransitions(tx, [{ taskId: id, attempt: task.attempt, status: "scheduled", message: `retried by ${by}` }]);
    await tx.execute(notifySql(WAKE_CHANNEL, [task.queue])!);
    return retried!;
  });
}
