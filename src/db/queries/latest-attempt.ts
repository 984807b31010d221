/** latestAttempt: the number of a task's current (or last) attempt: 0 before its first; null when there is no such task. */
import { sql } from "drizzle-orm";
import { executePrepared } from "../client.ts";
import { type Executor, rows } from "../sql.ts";

export async function latestAttempt(db: Executor, taskId: string): Promise<number | null> {
  const row = rows<{ attempt: number }>(await executePrepared(db, sql`select attempt from tasks where id = ${taskId}::uuid`))[0];
  return row ? Number(row.attempt) : null;
}
