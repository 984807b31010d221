/**
 * Retries a failed or cancelled task for a user: it is due again now with a fresh
 * retry budget (retry-tasks.ts, the bulk retry's write).
 */
import { eq } from "drizzle-orm";
import { ConflictError, NotFoundError } from "../../core/errors.ts";
import { canRetry, type TaskStatus } from "../../core/task-status.ts";
import type { Db } from "../client.ts";
import { tasks, type TaskRow } from "../schema/index.ts";
import { retryLockedTasks } from "./retry-tasks.ts";

/** Reschedules task `id` now and returns it; its event says who retried it (`by`: "api", "dashboard"). Throws NotFoundError, or ConflictError unless it failed or was cancelled. */
export async function retryTask(db: Db, id: string, by = "a user"): Promise<TaskRow> {
  return db.transaction(async (tx) => {
    const [task] = await tx.select().from(tasks).where(eq(tasks.id, id)).for("update");
    if (!task) throw new NotFoundError(`no task with id ${id}`);
    if (!canRetry(task.status as TaskStatus)) throw new ConflictError(`task ${id} is ${task.status}; only failed or cancelled tasks can be retried`);
    const [retried] = await retryLockedTasks(tx, [task], by);
    return retried!;
  });
}
