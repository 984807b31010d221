/**
 * webhooks: where to push notifications. Each row names the events it wants and an
 * optional filter; a trigger on task_events and workers (drizzle/*_webhook_outbox.sql)
 * writes one webhook_deliveries row per matching webhook in the event's own transaction.
 */
import { boolean, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

const tz = { withTimezone: true, precision: 6 } as const;

export const webhooks = pgTable("webhooks", {
  id: uuid("id").primaryKey().defaultRandom(),
  /** http(s) URL the deliveries are POSTed to; checked against the outbound address rules. */
  url: text("url").notNull(),
  /** Event names it wants (core/webhook-events.ts), e.g. task.failed, worker.dead. */
  events: text("events").array().notNull(),
  /** Only events of tasks in this queue (worker.dead: of workers serving it); null = any. */
  queue: text("queue"),
  /** Only tasks (worker.dead: workers) whose name starts with this; null = any. */
  namePrefix: text("name_prefix"),
  /** Only tasks made by this schedule (no worker events then); null = any. */
  scheduleId: uuid("schedule_id"),
  /** HMAC-SHA256 key for X-Taskflow-Signature; null = unsigned. Never shown by the API. */
  secret: text("secret"),
  /** json: the full event with a `text` field; slack: only `{text}`, for an incoming-webhook URL. */
  format: text("format").notNull().default("json"),
  /** A disabled webhook gets no new deliveries; pending ones are still sent. */
  enabled: boolean("enabled").notNull().default(true),
  createdAt: timestamp("created_at", tz).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", tz).notNull().defaultNow(),
});

export type WebhookRow = typeof webhooks.$inferSelect;
