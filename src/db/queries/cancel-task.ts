/**
 * Cancels a task for a user. The task row is locked (`for update`) for the whole
 * transaction, so a result arriving at the same moment either lands before (and
 * the cancel answers 409) or waits and finds the task cancelled. The write itself
 * is the bulk cancel's (cancel-tasks.ts).
 */
import { eq } from "drizzle-orm";
import { ConflictError, NotFoundError } from "../../core/errors.ts";
import { canCancel, type TaskStatus } from "../../core/task-status.ts";
import type { Db } from "../client.ts";
import { tasks, type TaskRow } from "../schema/index.ts";
import { cancelLockedTasks } from "./cancel-tasks.ts";

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
    const [cancelled] = await cancelLockedTasks(tx, [task], reason);
    return cancelled!;
  });
}
