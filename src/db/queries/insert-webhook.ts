/** Creates a webhook (POST /api/webhooks). */
import type { WebhookEvent, WebhookFormat } from "../../core/webhook-events.ts";
import type { Db } from "../client.ts";
import { webhooks, type WebhookRow } from "../schema/index.ts";

/** A validated webhook definition (scheduler/webhooks/validate-webhook.ts). */
export interface NewWebhook {
  url: string;
  events: WebhookEvent[];
  queue: string | null;
  namePrefix: string | null;
  scheduleId: string | null;
  secret: string | null;
  format: WebhookFormat;
  enabled: boolean;
}

export async function insertWebhook(db: Db, hook: NewWebhook): Promise<WebhookRow> {
  const [row] = await db.insert(webhooks).values(hook).returning();
  return row!;
}
