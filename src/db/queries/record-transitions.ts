/**
 * Records task transitions: one task_events row each (the timeline). A trigger on
 * task_events publishes them on the task channel when the transaction commits, so
 * every process's change feed hears of them. Every query that changes a task's
 * status outside a single SQL statement calls this.
 */
import type { Db } from "../client.ts";
import { taskEvents } from "../schema/index.ts";

/** A drizzle database or transaction: both can run these statements. */
export type Executor = Pick<Db, "execute" | "insert" | "select" | "update" | "delete">;

export interface Transition {
  taskId: string;
  attempt: number;
  /** The status entered, or an event kind (retrying, lost). */
  status: string;
  worker?: string | null;
  message?: string | null;
  /** Event time; defaults to the database's now(). */
  at?: Date;
}

export async function recordTransitions(tx: Executor, transitions: Transition[]): Promise<void> {
  if (transitions.length === 0) return;
  await tx.insert(taskEvents).values(
    transitions.map((t) => ({
      taskId: t.taskId,
      attempt: t.attempt,
      status: t.status,
      worker: t.worker ?? null,
      message: t.message ?? null,
      ...(t.at ? { at: t.at } : {}),
    })),
  );
}
