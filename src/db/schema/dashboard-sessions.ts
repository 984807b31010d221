/** dashboard_sessions: signed-in dashboard sessions, so a sign-out (or "sign out everywhere") revokes cookies on every scheduler. */
import { index, pgTable, timestamp, uuid } from "drizzle-orm/pg-core";

export const dashboardSessions = pgTable(
  "dashboard_sessions",
  {
    /** The id the session cookie carries (with its expiry, under an HMAC keyed by the token). */
    id: uuid("id").primaryKey(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    /** Renewed while the session is used (sliding); past it the cookie is refused. */
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    /** Set by sign-out; a revoked session's cookie is refused from then on. */
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [index("dashboard_sessions_expires_idx").on(t.expiresAt)],
);

export type DashboardSessionRow = typeof dashboardSessions.$inferSelect;
