/**
 * coordinators: one row per coordinator process, written by its liveness monitor on
 * every pass. It says whether that coordinator can record its workers' heartbeats
 * right now (`last_seen_at`) and since when without a gap (`recording_since`), so a
 * worker's silence is judged only over time its coordinator could have recorded it.
 */
import { pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

const tz = { withTimezone: true, precision: 6 } as const;

export const coordinators = pgTable("coordinators", {
  /** Random per process: a restarted coordinator is a new row. */
  id: uuid("id").primaryKey(),
  /** Its gRPC listen address (host:port), for people reading the table. */
  address: text("address").notNull(),
  startedAt: timestamp("started_at", tz).notNull().defaultNow(),
  /** Its last successful pass, by the database's clock. */
  lastSeenAt: timestamp("last_seen_at", tz).notNull().defaultNow(),
  /** Since when its passes have succeeded without a gap: after an outage, the first pass that answered. */
  recordingSince: timestamp("recording_since", tz).notNull().defaultNow(),
  /** When it stopped on purpose; its workers then fail over at once instead of waiting out its silence. */
  stoppedAt: timestamp("stopped_at", tz),
});
