/** A webhook's deliveries, newest first, each with its attempts (GET /api/webhooks/:id/deliveries). */
import { and, asc, desc, eq, inArray, lt, or } from "drizzle-orm";
import type { Db } from "../client.ts";
import { webhookDeliveries, webhookDeliveryAttempts, type WebhookDeliveryAttemptRow, type WebhookDeliveryRow } from "../schema/index.ts";

export interface DeliveryView extends WebhookDeliveryRow {
  attemptLog: WebhookDeliveryAttemptRow[];
}

/** Keyset page: deliveries older than `before` (created_at, id) when given. */
export async function listWebhookDeliveries(
  db: Db,
  webhookId: string,
  opts: { limit: number; before?: { createdAt: Date; id: string } | null },
): Promise<DeliveryView[]> {
  const d = webhookDeliveries;
  const before = opts.before;
  const found = await db
    .select()
    .from(d)
    .where(and(eq(d.webhookId, webhookId), before ? or(lt(d.createdAt, before.createdAt), and(eq(d.createdAt, before.createdAt), lt(d.id, before.id))) : undefined))
    .orderBy(desc(d.createdAt), desc(d.id))
    .limit(opts.limit);
  if (found.length === 0) return [];
  const attempts = await db
    .select()
    .from(webhookDeliveryAttempts)
    .where(inArray(webhookDeliveryAttempts.deliveryId, found.map((r) => r.id)))
    .orderBy(asc(webhookDeliveryAttempts.attempt));
  return found.map((r) => ({ ...r, attemptLog: attempts.filter((a) => a.deliveryId === r.id) }));
}
