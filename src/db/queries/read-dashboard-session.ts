/** readDashboardSession: a session's expiry and revocation, or null when it was never opened (or long forgotten). */
import { eq } from "drizzle-orm";
import { dashboardSessions, type DashboardSessionRow } from "../schema/index.ts";
import type { Executor } from "../sql.ts";

export async function readDashboardSession(db: Executor, id: string): Promise<Pick<DashboardSessionRow, "expiresAt" | "revokedAt"> | null> {
  const [row] = await db
    .select({ expiresAt: dashboardSessions.expiresAt, revokedAt: dashboardSessions.revokedAt })
    .from(dashboardSessions)
    .where(eq(dashboardSessions.id, id));
  return row ?? null;
}
