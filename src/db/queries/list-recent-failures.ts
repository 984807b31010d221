/** listRecentFailures: the tasks that failed for good most recently, newest first. */
import { eq, sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import { tasks, type TaskRow } from "../schema/index.ts";

export async function listRecentFailures(db: Db, limit = 8): Promise<TaskRow[]> {
  return recentFailuresQuery(db, limit);
}

/** Read in the order of tasks_status_finished_idx: `limit` index entries, whatever the number of failures. */
export function recentFailuresQuery(db: Db, limit = 8) {
  return db
    .select()
    .from(tasks)
    .where(eq(tasks.status, "failed"))
    // Ties (one report batch finishes many tasks at once) by seq: an incremental sort of each tie, on the index order.
    .orderBy(sql`${tasks.finishedAt} desc nulls last`, sql`${tasks.seq} desc nulls last`)
    .limit(limit);
}
