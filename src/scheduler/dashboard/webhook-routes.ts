/**
 * The dashboard's Webhooks pages: the list, one webhook's deliveries with every
 * attempt, and enable/disable form posts (redirecting, 303, to the list). They call
 * the same queries as the JSON API (webhooks/routes.ts). Cross-site posts never get
 * here: the auth guard refuses them for every state-changing route.
 */
import { Elysia } from "elysia";
import { NotFoundError } from "../../core/errors.ts";
import { listWebhookDeliveries } from "../../db/queries/list-webhook-deliveries.ts";
import { getWebhook, listWebhooks } from "../../db/queries/list-webhooks.ts";
import { updateWebhook } from "../../db/queries/update-webhook.ts";
import { WebhookDetailPage } from "../../../views/pages/webhook-detail.tsx";
import { WebhooksPage } from "../../../views/pages/webhooks.tsx";
import { deliveryCursor, parseDeliveryCursor } from "../webhooks/webhook-json.ts";
import type { DashboardContext } from "./dashboard-context.ts";
import { htmlPage, seeOther } from "./html-response.ts";
import { notFoundPage } from "./page-routes.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const hide = { detail: { hide: true } };
const post = { parse: "none" as const, detail: { hide: true } };
/** Deliveries shown per page. */
const PAGE_SIZE = 50;

export function webhookDashboardRoutes(ctx: DashboardContext) {
  return new Elysia()
    .get("/webhooks", async () => htmlPage(WebhooksPage({ webhooks: await listWebhooks(ctx.db), now: new Date(), ...ctx.chrome }) as string), hide)
    .get("/webhooks/:id", ({ params, query }) => deliveriesPage(ctx, params.id, query.before), hide)
    .post("/webhooks/:id/enable", ({ params }) => setEnabled(ctx, params.id, true), post)
    .post("/webhooks/:id/disable", ({ params }) => setEnabled(ctx, params.id, false), post);
}

async function deliveriesPage(ctx: DashboardContext, rawId: string, before: string | undefined): Promise<Response> {
  const webhook = UUID.test(rawId) ? await getWebhook(ctx.db, rawId.toLowerCase()) : null;
  if (!webhook) return notFoundPage(ctx, `There is no webhook with id ${rawId}.`);
  const found = await listWebhookDeliveries(ctx.db, webhook.id, { limit: PAGE_SIZE + 1, before: before ? parseDeliveryCursor(before) : null });
  const deliveries = found.slice(0, PAGE_SIZE);
  const olderUrl = found.length > PAGE_SIZE ? `/webhooks/${webhook.id}?before=${deliveryCursor(deliveries.at(-1)!)}` : null;
  return htmlPage(WebhookDetailPage({ webhook, deliveries, olderUrl, now: new Date(), ...ctx.chrome }) as string);
}

async function setEnabled(ctx: DashboardContext, rawId: string, enabled: boolean): Promise<Response> {
  const message = `There is no webhook with id ${rawId}.`;
  if (!UUID.test(rawId)) return notFoundPage(ctx, message);
  try {
    await updateWebhook(ctx.db, rawId.toLowerCase(), { enabled });
  } catch (err) {
    if (err instanceof NotFoundError) return notFoundPage(ctx, message);
    throw err;
  }
  return seeOther(`/webhooks#webhook-${rawId.toLowerCase()}`);
}
