/** Deletes a webhook and its deliveries (DELETE /api/webhooks/:id); answers it as it was. */
import { eq } from "drizzle-orm";
import { NotFoundError } from "../../core/errors.ts";
import type { Db } from "../client.ts";
import { webhooks } from "../schema/index.ts";
import { getWebhook, type WebhookView } from "./list-webhooks.ts";

export async function deleteWebhook(db: Db, id: string): Promise<WebhookView> {
  const found = await getWebhook(db, id);
  if (!found) throw new NotFoundError(`no webhook with id ${id}`);
  await db.delete(webhooks).where(eq(webhooks.id, id));
  return found;
}
