/** Reads one task with its attempts and its events (the timeline), both in order. */
import { and, asc, eq, isNotNull } from "drizzle-orm";
import type { Db } from "../client.ts";
import type { WaitingFacts } from "../../core/waiting-reason.ts";
import { loadWaitingFacts } from "./load-waiting-facts.ts";
import { taskTimeline } from "./task-timeline.ts";
import { taskAttempts, taskDependencies, taskEvents, tasks, type TaskAttemptRow, type TaskEventRow, type TaskRow } from "../schema/index.ts";

export interface TaskDetail {
  task: TaskRow;
  attempts: TaskAttemptRow[];
  events: TaskEventRow[];
  /** The tasks it runs after. */
  dependsOn: string[];
  /** What holds it back, while it is scheduled (core/waiting-reason.ts words it). */
  waiting: WaitingFacts | null;
  /** A fanout parent's children (oldest first, at most CHILDREN_SHOWN); empty for other tasks. */
  children: TaskRow[];
}

/** Children read with a parent: a fanout makes at most 1000 (FANOUT_MAX). */
export const CHILDREN_SHOWN = 1000;

/** The task `id` with its attempts (by number) and events (as recorded, or derived: task-timeline.ts), or null if there is none. */
export async function getTask(db: Db, id: string): Promise<TaskDetail | null> {
  // One snapshot, so the attempts and events agree with the task row.
  return db.transaction(
    async (tx) => {
      const [task] = await tx.select().from(tasks).where(eq(tasks.id, id));
      if (!task) return null;
      const attempts = await tx.select().from(taskAttempts).where(eq(taskAttempts.taskId, id)).orderBy(asc(taskAttempts.attempt));
      const events = taskTimeline(task, attempts, await tx.select().from(taskEvents).where(eq(taskEvents.taskId, id)).orderBy(asc(taskEvents.id)));
      const deps = await tx.select({ id: taskDependencies.dependsOn }).from(taskDependencies).where(eq(taskDependencies.taskId, id));
      const waiting = (await loadWaitingFacts(tx, [id])).get(id) ?? null;
      const children = task.fanout === null ? [] : await tx.select().from(tasks)
        .where(and(eq(tasks.parentId, id), isNotNull(tasks.parentId))).orderBy(asc(tasks.pinnedWorker), asc(tasks.id)).limit(CHILDREN_SHOWN);
      return { task, attempts, events, dependsOn: deps.map((d) => d.id), waiting, children };
    },
    { isolationLevel: "repeatable read", accessMode: "read only" },
  );
}
