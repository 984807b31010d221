/**
 * Failed tasks since a time, newest first, with what their failure reason is made
 * of: the input of GET /api/failures, which groups them by name and reason. Read
 * through tasks_status_finished_idx (status, finished_at desc) and capped, so a
 * bad day with a million failures still answers in one bounded scan.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import { tasks } from "../schema/index.ts";
import { rows } from "../sql.ts";
import { STDERR_LAST_LINE_SQL } from "./load-failure-facts.ts";

export interface FailedTaskFacts {
  id: string;
  name: string;
  finishedAt: Date;
  error: string | null;
  stderrLastLine: string | null;
}

export async function listFailures(db: Db, since: Date, limit: number): Promise<FailedTaskFacts[]> {
  const found = rows<{ id: string; name: string; finished_at: string | Date; error: string | null; last_line: string | null }>(await db.execute(sql`
    select t.id, t.name, t.finished_at, coalesce(a.error, t.error) as error, ${STDERR_LAST_LINE_SQL} as last_line
    from (
      select id, seq, name, finished_at, error, attempt from tasks
      where status = 'failed' and finished_at >= ${since.toISOString()}::timestamptz
      order by finished_at desc nulls last, seq desc
      limit ${limit}
    ) t
    left join task_attempts a on a.task_id = t.id and a.attempt = t.attempt
    order by t.finished_at desc, t.seq desc`));
  return found.map((r) => ({ id: r.id, name: r.name, finishedAt: tasks.finishedAt.mapFromDriverValue(r.finished_at) as Date, error: r.error, stderrLastLine: r.last_line }));
}
