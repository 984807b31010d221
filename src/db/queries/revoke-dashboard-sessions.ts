/** revokeDashboardSessions: signs out one session (`id`), or every session when `id` is null ("sign out everywhere"). */
import { and, eq, isNull } from "drizzle-orm";
import { dashboardSessions } from "../schema/index.ts";
import type { Executor } from "../sql.ts";

export async function revokeDashboardSessions(db: Executor, id: string | null): Promise<void> {
  const live = isNull(dashboardSessions.revokedAt);
  await db
    .update(dashboardSessions)
    .set({ revokedAt: new Date() })
    .where(id === null ? live : and(live, eq(dashboardSessions.id, id)));
}
