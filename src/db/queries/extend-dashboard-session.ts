/** extendDashboardSession: moves a live (unrevoked) session's expiry to `expiresAt` (sliding renewal); false when it is revoked or gone. */
import { and, eq, isNull } from "drizzle-orm";
import { dashboardSessions } from "../schema/index.ts";
import type { Executor } from "../sql.ts";

export async function extendDashboardSession(db: Executor, id: string, expiresAt: Date): Promise<boolean> {
  const rows = await db
    .update(dashboardSessions)
    .set({ expiresAt })
    .where(and(eq(dashboardSessions.id, id), isNull(dashboardSessions.revokedAt)))
    .returning({ id: dashboardSessions.id });
  return rows.length > 0;
}
