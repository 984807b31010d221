/** msUntilNextSchedule: how long until the next unpaused schedule is due, by the database's clock. */
import { sql } from "drizzle-orm";
import { rows, type Executor } from "../sql.ts";

/** Milliseconds until the nearest next_run_at of an active schedule (≤ 0 when one is due), by the database's clock; null when none waits. */
export async function msUntilNextSchedule(db: Executor): Promise<number | null> {
  const r = rows<{ ms: string | number | null }>(
    await db.execute(sql`select extract(epoch from (min(next_run_at) - now())) * 1000 as ms from schedules where not paused`),
  );
  const ms = r[0]?.ms;
  return ms === null || ms === undefined ? null : Number(ms);
}
