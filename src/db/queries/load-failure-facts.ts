/**
 * What a task's failure reason is made of (core/failure-reason.ts): the error and
 * the last non-empty line of stderr of its current attempt, read by primary key.
 * The line is cut in SQL, so a page never carries 64 KiB stderr tails.
 */
import { sql, type SQL } from "drizzle-orm";
import type { Db } from "../client.ts";
import { rows, uuidArray } from "../sql.ts";

export interface FailureFacts {
  error: string | null;
  stderrLastLine: string | null;
}

/** The last non-empty line of an attempt's stderr tail (`a` is task_attempts), at most 400 characters. */
export const STDERR_LAST_LINE_SQL: SQL = sql.raw(`left(substring(rtrim(a.stderr_tail, E' \\t\\r\\n') from '[^\\n]*$'), 400)`);

/** Facts by task id, for tasks whose current attempt has ended with an error. */
export async function loadFailureFacts(db: Db, taskIds: readonly string[]): Promise<Map<string, FailureFacts>> {
  if (taskIds.length === 0) return new Map();
  const found = rows<{ task_id: string; error: string | null; last_line: string | null }>(await db.execute(sql`
    select t.id as task_id, coalesce(a.error, t.error) as error, ${STDERR_LAST_LINE_SQL} as last_line
    from tasks t join task_attempts a on a.task_id = t.id and a.attempt = t.attempt
    where t.id = any(${uuidArray(taskIds)}::uuid[]) and a.finished_at is not null`));
  return new Map(found.map((r) => [r.task_id, { error: r.error, stderrLastLine: r.last_line }]));
}
