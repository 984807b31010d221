/**
 * One batch of the tasks a filter matches, newest first from a position: what a
 * bulk action walks (the same conditions and order as list-tasks.ts, so the set
 * is the list's). Only ids and positions: the action locks and reads the rows.
 */
import { and, sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import { tasks } from "../schema/index.ts";
import { LIST_ORDER, POSITION_FORMAT, taskListConditions, type TaskListFilter, type TaskPosition } from "./list-tasks.ts";

export interface TaskBatch {
  ids: string[];
  /** The last row's position: the next batch starts after it. Null when the batch was the last. */
  next: TaskPosition | null;
}

export async function findTaskBatch(db: Db, f: Omit<TaskListFilter, "limit">, limit: number): Promise<TaskBatch> {
  const found = await db
    .select({ id: tasks.id, seq: tasks.seq, position: sql<string>`to_char(${tasks.createdAt} at time zone 'UTC', ${POSITION_FORMAT})` })
    .from(tasks)
    .where(and(...taskListConditions(f)))
    .orderBy(...LIST_ORDER)
    .limit(limit);
  const last = found.at(-1);
  return { ids: found.map((r) => r.id), next: found.length === limit && last ? { createdAt: last.position, seq: last.seq } : null };
}
