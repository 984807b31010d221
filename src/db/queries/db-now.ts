/** dbNow: the database's clock, the one schedules and worker liveness are judged by. */
import { sql } from "drizzle-orm";
import { rows, type Executor } from "../sql.ts";

/** The database's clock: the only one schedules are judged by. */
export async function dbNow(db: Executor): Promise<Date> {
  const [r] = rows<{ ms: string | number }>(await db.execute(sql`select extract(epoch from now()) * 1000 as ms`));
  // Whole milliseconds: a JS Date holds no microseconds.
  return new Date(Math.floor(Number(r!.ms)));
}
