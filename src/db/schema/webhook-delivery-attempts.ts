/** webhook_delivery_attempts: each try of a delivery, with its answer or error. */
import { integer, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { webhookDeliveries } from "./webhook-deliveries.ts";

const tz = { withTimezone: true, precision: 6 } as const;

export const webhookDeliveryAttempts = pgTable(
  "webhook_delivery_attempts",
  {
    deliveryId: uuid("delivery_id").notNull().references(() => webhookDeliveries.id, { onDelete: "cascade" }),
    /** 1 for the first try. */
    attempt: integer("attempt").notNull(),
    startedAt: timestamp("started_at", tz).notNull(),
    durationMs: integer("duration_ms").notNull(),
    /** The receiver's HTTP status; null when none came (refused, timed out, unreachable). */
    statusCode: integer("status_code"),
    /** Why it failed; null on success. */
    error: text("error"),
    /** The first KiB of the answer's body. */
    responseSnippet: text("response_snippet"),
  },
  (t) => [primaryKey({ columns: [t.deliveryId, t.attempt] })],
);

export type WebhookDeliveryAttemptRow = typeof webhookDeliveryAttempts.$inferSelect;
