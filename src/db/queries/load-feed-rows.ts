/**
 * loadFeedRows: the current rows of tasks and worker sessions a change feed batch
 * names. Prepared under fixed names, with one array parameter each, so the
 * statement text never changes however many rows a batch names.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import { tasks, workers, type TaskRow, type WorkerRow } from "../schema/index.ts";
import { uuidArray } from "../sql.ts";

export async function loadFeedRows(db: Db, taskIds: string[], workerIds: string[]): Promise<{ tasks: TaskRow[]; workers: WorkerRow[] }> {
  // Prepared (any name makes postgres.js prepare): the text never changes, so it is parsed once per connection.
  const [t, w] = await Promise.all([
    taskIds.length ? taskRowsQuery(db, taskIds).prepare("change_feed_tasks").execute() : [],
    workerIds.length ? workerRowsQuery(db, workerIds).prepare("change_feed_workers").execute() : [],
  ]);
  return { tasks: t, workers: w };
}

/** The rows of these tasks: one statement text (and one parameter) whatever their number. */
export function taskRowsQuery(db: Db, ids: string[]) {
  return db.select().from(tasks).where(sql`${tasks.id} = any(${uuidArray(ids)}::uuid[])`);
}

function workerRowsQuery(db: Db, ids: string[]) {
  return db.select().from(workers).where(sql`${workers.id} = any(${uuidArray(ids)}::uuid[])`);
}
