/**
 * What PostgreSQL itself gives for task inserts, through postgres.js, into the same
 * `tasks` table (same indexes) taskflow writes: one row per statement from many
 * concurrent callers, and 1,000 rows per `INSERT ... SELECT unnest(...)`.
 */
import { inLanes } from "../support/api-client.ts";
import type { Sql } from "../support/scratch-database.ts";

/** Single-row INSERTs (autocommit) from `callers` concurrent callers; rows per second. */
export async function rawSingleInsertRate(sql: Sql, n: number, callers: number, runAt: Date): Promise<number> {
  const t0 = performance.now();
  await inLanes(n, callers, (i) =>
    sql`insert into tasks (name, command, env, queue, priority, run_at, status)
        values (${`raw ${i}`}, 'true', '{}'::jsonb, 'default', 0, ${runAt}, 'scheduled')`,
  );
  return n / ((performance.now() - t0) / 1000);
}

/** `INSERT ... SELECT unnest(...)`, `batch` rows per statement, `callers` statements at a time; rows per second. */
export async function rawBulkInsertRate(sql: Sql, n: number, batch: number, callers: number, runAt: Date): Promise<number> {
  const batches = Math.ceil(n / batch);
  const t0 = performance.now();
  await inLanes(batches, callers, (b) => {
    const size = Math.min(batch, n - b * batch);
    const names = Array.from({ length: size }, (_, i) => `raw bulk ${b}-${i}`);
    return sql`insert into tasks (name, command, env, queue, priority, run_at, status)
      select name, 'true', '{}'::jsonb, 'default', 0, ${runAt}, 'scheduled' from unnest(${names}::text[]) as u(name)`;
  });
  return n / ((performance.now() - t0) / 1000);
}
