/** Reads one task with its attempts and its events (the timeline), both in order. */
import { asc, eq } from "drizzle-orm";
import type { Db } from "../client.ts";
import { taskAttempts, taskEvents, tasks, type TaskAttemptRow, type TaskEventRow, type TaskRow } from "../schema/index.ts";

export interface TaskDetail {
  task: TaskRow;
  attempts: TaskAttemptRow[];
  events: TaskEventRow[];
}

/** The task `id` with its attempts (by number) and events (as recorded), or null if there is none. */
export async function getTask(db: Db, id: string): Promise<TaskDetail | null> {
  // One snapshot, so the attempts and events agree with the task row.
  return db.transaction(
    async (tx) => {
      const [task] = await tx.select().from(tasks).where(eq(tasks.id, id));
      if (!task) return null;
      const attempts = await tx.select().from(taskAttempts).where(eq(taskAttempts.taskId, id)).orderBy(asc(taskAttempts.attempt));
      const events = await tx.select().from(taskEvents).where(eq(taskEvents.taskId, id)).orderBy(asc(taskEvents.id));
      return { task, attempts, events };
    },
    { isolationLevel: "repeatable read", accessMode: "read only" },
  );
}
