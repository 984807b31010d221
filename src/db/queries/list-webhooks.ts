/** Reads webhooks for the API and the dashboard, each with its delivery counts. */
import { asc, eq, getTableColumns, sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import { webhooks, type WebhookRow } from "../schema/index.ts";

export interface WebhookView extends WebhookRow {
  /** Deliveries waiting to be sent (or being sent). */
  pending: number;
  /** Deliveries given up after the retry window. */
  failed: number;
  /** The newest delivery's status, if any. */
  lastDeliveryStatus: string | null;
}

// Qualified by hand: drizzle leaves the column of a one-table select unqualified, which the subqueries would read as their own.
const viewColumns = {
  ...getTableColumns(webhooks),
  pending: sql<number>`(select count(*) from webhook_deliveries d where d.webhook_id = "webhooks"."id" and d.status = 'pending')`.mapWith(Number),
  failed: sql<number>`(select count(*) from webhook_deliveries d where d.webhook_id = "webhooks"."id" and d.status = 'failed')`.mapWith(Number),
  lastDeliveryStatus: sql<string | null>`(select d.status from webhook_deliveries d where d.webhook_id = "webhooks"."id" order by d.created_at desc limit 1)`,
};

/** Every webhook, oldest first. */
export async function listWebhooks(db: Db): Promise<WebhookView[]> {
  return db.select(viewColumns).from(webhooks).orderBy(asc(webhooks.createdAt), asc(webhooks.id));
}

/** One webhook, or null. */
export async function getWebhook(db: Db, id: string): Promise<WebhookView | null> {
  const [row] = await db.select(viewColumns).from(webhooks).where(eq(webhooks.id, id));
  return row ?? null;
}
