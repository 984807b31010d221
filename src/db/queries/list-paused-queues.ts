/** listPausedQueues: the names of the paused queues (for /metrics and the overview). */
import { sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import { rows } from "../sql.ts";

export async function listPausedQueues(db: Db): Promise<string[]> {
  return rows<{ name: string }>(await db.execute(sql`select name from queues where paused order by name`)).map((r) => r.name);
}
