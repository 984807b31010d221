/** throughputPerMinute: tasks finished per minute over the last hour (minutes by the database clock). */
import { sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import { rows, statusListSql, statusSql } from "../sql.ts";

export interface MinuteCount {
  /** Start of the minute. */
  minute: Date;
  completed: number;
  failed: number;
}

/**
 * One entry per minute, oldest first, ending with the current (partial) minute;
 * minutes without tasks count zero. Reads only the last hour's entries of
 * tasks_status_finished_idx, however long the history.
 */
export async function throughputPerMinute(db: Db, minutes = 60): Promise<MinuteCount[]> {
  const span = Math.max(1, Math.floor(minutes)) - 1;
  const found = rows<{ minute_ms: number | string; completed: number | string; failed: number | string }>(
    await db.execute(sql`
      with span as (
        select m from generate_series(date_trunc('minute', now()) - ${span} * interval '1 minute', date_trunc('minute', now()), interval '1 minute') as m
      ), finished as (
        select date_trunc('minute', finished_at) as m,
               count(*) filter (where status = ${statusSql("completed")}) as completed,
               count(*) filter (where status = ${statusSql("failed")}) as failed
        from tasks
        where status in ${statusListSql(["completed", "failed"])} and finished_at >= date_trunc('minute', now()) - ${span} * interval '1 minute'
        group by 1
      )
      select extract(epoch from span.m) * 1000 as minute_ms, coalesce(finished.completed, 0) as completed, coalesce(finished.failed, 0) as failed
      from span left join finished on finished.m = span.m
      order by span.m`),
  );
  return found.map((r) => ({ minute: new Date(Number(r.minute_ms)), completed: Number(r.completed), failed: Number(r.failed) }));
}
