/**
 * loadFeedRows: the current rows of tasks and worker sessions a change feed batch
 * names, and what the failed ones' last attempts say (their failure reason's
 * facts, load-failure-facts.ts), so live rows show the same reason as a rendered
 * page. Prepared under fixed names, with one array parameter each, so the
 * statement text never changes however many rows a batch names.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import { loadFailureFacts, type FailureFacts } from "./load-failure-facts.ts";
import { tasks, workers, type TaskRow, type WorkerRow } from "../schema/index.ts";
import { uuidArray } from "../sql.ts";

export interface FeedRows {
  tasks: TaskRow[];
  workers: WorkerRow[];
  /** By task id, for the loaded tasks with an error whose current attempt has ended. */
  failures: Map<string, FailureFacts>;
}

export async function loadFeedRows(db: Db, taskIds: string[], workerIds: string[]): Promise<FeedRows> {
  // Prepared (any name makes postgres.js prepare): the text never changes, so it is parsed once per connection.
  const [t, w] = await Promise.all([
    taskIds.length ? taskRowsQuery(db, taskIds).prepare("change_feed_tasks").execute() : [],
    workerIds.length ? workerRowsQuery(db, workerIds).prepare("change_feed_workers").execute() : [],
  ]);
  // Only tasks with an error have a reason to read: most batches need no second statement.
  const failed = t.filter((row) => row.error !== null).map((row) => row.id);
  return { tasks: t, workers: w, failures: await loadFailureFacts(db, failed) };
}

/** The rows of these tasks: one statement text (and one parameter) whatever their number. */
export function taskRowsQuery(db: Db, ids: string[]) {
  return db.select().from(tasks).where(sql`${tasks.id} = any(${uuidArray(ids)}::uuid[])`);
}

function workerRowsQuery(db: Db, ids: string[]) {
  return db.select().from(workers).where(sql`${workers.id} = any(${uuidArray(ids)}::uuid[])`);
}
