/**
 * openDashboardSession: records a new dashboard session valid until `expiresAt`,
 * and forgets sessions that ended over a day ago (the table stays small).
 */
import { lt, sql } from "drizzle-orm";
import { dashboardSessions } from "../schema/index.ts";
import type { Executor } from "../sql.ts";

export async function openDashboardSession(db: Executor, id: string, expiresAt: Date): Promise<void> {
  await db.insert(dashboardSessions).values({ id, expiresAt });
  await db.delete(dashboardSessions).where(lt(dashboardSessions.expiresAt, sql`now() - interval '1 day'`));
}
