/**
 * webhook_deliveries: the outbox. One row per (event, webhook), written by a trigger in
 * the same transaction as the event; coordinators claim due rows, POST them, and record
 * each attempt in webhook_delivery_attempts until one succeeds or 24 h have passed.
 */
import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { webhooks } from "./webhooks.ts";

const tz = { withTimezone: true, precision: 6 } as const;

export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    /** Also sent in the body and the X-Taskflow-Delivery header, so receivers can drop duplicates. */
    id: uuid("id").primaryKey().defaultRandom(),
    webhookId: uuid("webhook_id").notNull().references(() => webhooks.id, { onDelete: "cascade" }),
    /** The event name, e.g. task.failed. */
    event: text("event").notNull(),
    /** The event's data as it was when it happened: {task} or {worker}, plus occurred_at. */
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    /** pending (to send or being sent), delivered, failed (gave up after the retry window). */
    status: text("status").notNull().default("pending"),
    /** Attempts made (claims count, so a coordinator killed mid-send still counts its try). */
    attempts: integer("attempts").notNull().default(0),
    /** When a coordinator may take it next: due time, or the end of a sender's lease. */
    nextAttemptAt: timestamp("next_attempt_at", tz).notNull().defaultNow(),
    createdAt: timestamp("created_at", tz).notNull().defaultNow(),
    /** When it was delivered, or given up. */
    finishedAt: timestamp("finished_at", tz),
    /** The last attempt's HTTP status, if it got an answer. */
    lastStatusCode: integer("last_status_code"),
    /** The last attempt's error: a refused address, a timeout, a non-2xx answer. */
    lastError: text("last_error"),
  },
  (t) => [
    // The sender's claim: due pending rows, oldest first.
    index("webhook_deliveries_due_idx").on(t.nextAttemptAt).where(sql`status = 'pending'`),
    // A webhook's deliveries, newest first.
    index("webhook_deliveries_webhook_idx").on(t.webhookId, t.createdAt.desc()),
  ],
);

export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
