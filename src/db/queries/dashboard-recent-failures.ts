/** The tasks that failed for good most recently, for the overview. */
import { desc, eq, sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import { tasks, type TaskRow } from "../schema/index.ts";

export async function recentFailures(db: Db, limit = 8): Promise<TaskRow[]> {
  return db
    .select()
    .from(tasks)
    .where(eq(tasks.status, "failed"))
    .orderBy(sql`${tasks.finishedAt} desc nulls last`, desc(tasks.id))
    .limit(limit);
}
