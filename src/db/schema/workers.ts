/** workers: one row per worker session (a process connected to a coordinator, until declared dead). */
import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

const tz = { withTimezone: true, precision: 6 } as const;

export const workers = pgTable(
  "workers",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    host: text("host").notNull(),
    pid: integer("pid"),
    /** alive, draining, dead. */
    status: text("status").notNull(),
    queues: text("queues").array().notNull(),
    concurrency: integer("concurrency").notNull(),
    /** What it advertises (its --labels plus hostname, os, arch): task selectors match these (docs/placement.md). */
    labels: jsonb("labels").$type<Record<string, string>>().notNull().default({}),
    /** Attempts running on it at the last heartbeat. */
    running: integer("running").notNull().default(0),
    version: text("version").notNull(),
    /** The coordinator holding its stream (host:port of that coordinator). */
    coordinator: text("coordinator"),
    /** That coordinator's row in `coordinators`: its liveness decides when this worker's silence counts. */
    coordinatorId: uuid("coordinator_id"),
    startedAt: timestamp("started_at", tz).notNull().defaultNow(),
    /** Judged by the database's clock, never the worker's. */
    lastHeartbeatAt: timestamp("last_heartbeat_at", tz).notNull().defaultNow(),
    /** When it was declared dead or left. */
    stoppedAt: timestamp("stopped_at", tz),
    /** "left" when the session ended on purpose (no worker.dead webhook); null when declared dead. */
    stopReason: text("stop_reason"),
  },
  (t) => [
    index("workers_status_idx").on(t.status, t.lastHeartbeatAt),
    // The pruner: dead sessions, oldest stop first.
    index("workers_dead_stopped_idx").on(t.stoppedAt).where(sql`status = 'dead'`),
  ],
);

export type WorkerRow = typeof workers.$inferSelect;
