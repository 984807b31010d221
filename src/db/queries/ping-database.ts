/** pingDatabase: one round trip, to learn whether the database answers (the liveness monitor's grace). */
import { sql } from "drizzle-orm";
import type { Executor } from "../sql.ts";

export async function pingDatabase(db: Executor): Promise<void> {
  await db.execute(sql`select 1`);
}
