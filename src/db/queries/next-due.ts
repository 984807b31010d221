/** msUntilNextDue: how long until the nearest scheduled task of these queues is due, by the database's clock. */
import { sql } from "drizzle-orm";
import { executePrepared } from "../client.ts";
import { type Executor, rows, statusSql, textArray } from "../sql.ts";

/** Milliseconds until the next scheduled run_at (≤ 0 when one is due now), or null when none waits. */
export async function msUntilNextDue(db: Executor, queues: string[]): Promise<number | null> {
  if (queues.length === 0) return null;
  const r = rows<{ ms: string | number | null }>(
    await executePrepared(db, sql`
      select extract(epoch from (min(run_at) - now())) * 1000 as ms
      from tasks where status = ${statusSql("scheduled")} and queue = any(${textArray(queues)}::text[])`),
  );
  const ms = r[0]?.ms;
  return ms === null || ms === undefined ? null : Number(ms);
}
