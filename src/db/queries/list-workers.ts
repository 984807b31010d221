/** Lists worker sessions for the API and dashboard: every live one, then the most recent dead ones. */
import { desc, inArray, eq, sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import { workers, type WorkerRow } from "../schema/index.ts";

/** Dead sessions pile up with every restart; only this many of the latest are listed by default. */
export const DEAD_WORKERS_SHOWN = 100;

/** Alive and draining workers (newest first), then up to `deadLimit` dead ones (most recently stopped first). */
export async function listWorkers(db: Db, deadLimit = DEAD_WORKERS_SHOWN): Promise<WorkerRow[]> {
  const live = await db
    .select()
    .from(workers)
    .where(inArray(workers.status, ["alive", "draining"]))
    .orderBy(desc(workers.startedAt), desc(workers.id));
  const dead = await db
    .select()
    .from(workers)
    .where(eq(workers.status, "dead"))
    .orderBy(desc(sql`coalesce(${workers.stoppedAt}, ${workers.lastHeartbeatAt})`), desc(workers.id))
    .limit(deadLimit);
  return [...live, ...dead];
}
