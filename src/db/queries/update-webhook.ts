/** Edits a webhook (PATCH /api/webhooks/:id): only the fields given change. */
import { eq, sql } from "drizzle-orm";
import { NotFoundError } from "../../core/errors.ts";
import type { Db } from "../client.ts";
import { webhooks } from "../schema/index.ts";
import type { NewWebhook } from "./insert-webhook.ts";
import { getWebhook, type WebhookView } from "./list-webhooks.ts";

export type WebhookPatch = Partial<NewWebhook>;

export async function updateWebhook(db: Db, id: string, patch: WebhookPatch): Promise<WebhookView> {
  const set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
  const [row] = await db.update(webhooks).set({ ...set, updatedAt: sql`now()` }).where(eq(webhooks.id, id)).returning({ id: webhooks.id });
  if (!row) throw new NotFoundError(`no webhook with id ${id}`);
  return (await getWebhook(db, id))!;
}
