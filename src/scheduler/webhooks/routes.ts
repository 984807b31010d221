/**
 * The webhook API (docs/notifications.md): create, list, read, edit and delete
 * webhooks, and read a webhook's deliveries with each attempt. Handlers check input,
 * call one query function each and shape the answer; errors go through http-errors.ts.
 */
import { Elysia } from "elysia";
import { NotFoundError, ValidationError } from "../../core/errors.ts";
import type { Db } from "../../db/client.ts";
import { deleteWebhook } from "../../db/queries/delete-webhook.ts";
import { insertWebhook } from "../../db/queries/insert-webhook.ts";
import { listWebhookDeliveries } from "../../db/queries/list-webhook-deliveries.ts";
import { getWebhook, listWebhooks } from "../../db/queries/list-webhooks.ts";
import { updateWebhook } from "../../db/queries/update-webhook.ts";
import { errorAnswer, jsonAnswer, jsonBody, queryParameters } from "../openapi/route-docs.ts";
import { readJsonBody } from "../request-body.ts";
import type { Checked } from "../tasks/validate-task.ts";
import * as m from "./model.ts";
import { validateNewWebhook, validateWebhookPatch, type AddressRules } from "./validate-webhook.ts";
import { deliveryCursor, deliveryJson, parseDeliveryCursor, webhookJson } from "./webhook-json.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const tags = ["webhooks"];
const parse = "none" as const;
const answers = {
  created: { 201: jsonAnswer("the new webhook", m.WebhookJsonSchema) },
  list: { 200: jsonAnswer("every webhook, oldest first", m.WebhookListJsonSchema) },
  one: { 200: jsonAnswer("the webhook", m.WebhookJsonSchema) },
  edited: { 200: jsonAnswer("the webhook as edited", m.WebhookJsonSchema) },
  deleted: { 200: jsonAnswer("the webhook as it was (its deliveries are deleted with it)", m.WebhookJsonSchema) },
  deliveries: {
    200: jsonAnswer("the webhook's deliveries, newest first, each with its attempts", m.DeliveryListJsonSchema),
    422: errorAnswer("a query parameter is invalid, each named in details"),
  },
};

export function webhookRoutes(db: Db, rules: AddressRules) {
  return new Elysia({ name: "webhooks", prefix: "/api/webhooks" })
    .post(
      "",
      async ({ request, set }) => {
        const created = await insertWebhook(db, valid(await validateNewWebhook(await readJsonBody(request), rules)));
        set.status = 201;
        return webhookJson((await getWebhook(db, created.id))!);
      },
      { parse, detail: { summary: "Create a webhook: a URL, the events it wants, an optional filter and signing secret", tags, requestBody: jsonBody(m.NewWebhookBody), responses: answers.created } },
    )
    .get("", async () => ({ webhooks: (await listWebhooks(db)).map(webhookJson) }), {
      detail: { summary: "Every webhook with its delivery counts (never its secret)", tags, responses: answers.list },
    })
    .get(
      "/:id",
      async ({ params }) => {
        const found = await getWebhook(db, webhookId(params.id));
        if (!found) throw new NotFoundError(`no webhook with id ${params.id}`);
        return webhookJson(found);
      },
      { detail: { summary: "A webhook with its delivery counts", tags, responses: answers.one } },
    )
    .patch(
      "/:id",
      async ({ params, request }) => webhookJson(await updateWebhook(db, webhookId(params.id), valid(await validateWebhookPatch(await readJsonBody(request), rules)))),
      { parse, detail: { summary: "Edit a webhook; {enabled: false} stops new deliveries; a given filter replaces the whole filter", tags, requestBody: jsonBody(m.WebhookPatchBody), responses: answers.edited } },
    )
    .delete("/:id", async ({ params }) => webhookJson(await deleteWebhook(db, webhookId(params.id))), {
      parse,
      detail: { summary: "Delete a webhook and its deliveries", tags, responses: answers.deleted },
    })
    .get(
      "/:id/deliveries",
      async ({ params, query }) => {
        const id = webhookId(params.id);
        if (!(await getWebhook(db, id))) throw new NotFoundError(`no webhook with id ${params.id}`);
        const { limit, before } = deliveriesQuery(query);
        const found = await listWebhookDeliveries(db, id, { limit: limit + 1, before });
        const page = found.slice(0, limit);
        return { deliveries: page.map(deliveryJson), next_cursor: found.length > limit ? deliveryCursor(page.at(-1)!) : null };
      },
      { detail: { summary: "A webhook's deliveries, newest first, each with every attempt (status code, time, response snippet)", tags, parameters: queryParameters(m.DeliveriesQuery), responses: answers.deliveries } },
    );
}

function valid<T>(checked: Checked<T>): T {
  if (checked.ok) return checked.value;
  throw new ValidationError("the request has invalid fields", checked.problems);
}

/** Ids that are not UUIDs name no webhook (404), rather than reaching PostgreSQL's uuid parser. */
function webhookId(id: string): string {
  if (!UUID.test(id)) throw new NotFoundError(`no webhook with id ${id}`);
  return id.toLowerCase();
}

function deliveriesQuery(query: Record<string, string | undefined>): { limit: number; before: { createdAt: Date; id: string } | null } {
  const problems = [];
  let limit = m.DELIVERIES_LIMIT_DEFAULT;
  if (query.limit !== undefined) {
    limit = Number(query.limit);
    if (!/^\d+$/.test(query.limit) || limit < 1 || limit > m.DELIVERIES_LIMIT_MAX) problems.push({ path: "/limit", message: `must be a whole number from 1 to ${m.DELIVERIES_LIMIT_MAX}` });
  }
  const before = query.cursor === undefined ? null : parseDeliveryCursor(query.cursor);
  if (query.cursor !== undefined && before === null) problems.push({ path: "/cursor", message: "is not a cursor from this API (use next_cursor of the previous page)" });
  if (problems.length) throw new ValidationError("the query has invalid parameters", problems);
  return { limit, before };
}
