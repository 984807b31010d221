/**
 * vacuumPrunedTables: makes the space of pruned rows reusable and refreshes the
 * planner's statistics. PostgreSQL's autovacuum does this by itself; embedded
 * PGlite has no autovacuum, so without it the data directory would keep growing
 * however much is pruned. A plain VACUUM takes no lock that blocks reads or
 * writes (unlike VACUUM FULL), so dispatch carries on meanwhile.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../client.ts";

export async function vacuumPrunedTables(db: Db): Promise<void> {
  // VACUUM cannot run inside a transaction; db.execute runs it on its own.
  await db.execute(sql`vacuum (analyze) tasks, task_attempts, task_events, workers, schedules`);
}
