/**
 * The webhook API's shapes as TypeBox schemas, for the OpenAPI document.
 * validate-webhook.ts checks requests (an address rule is more than a schema can say);
 * webhook-json.ts builds the answers, typed by these schemas.
 */
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { WEBHOOK_EVENTS, WEBHOOK_FORMATS } from "../../core/webhook-events.ts";

export const URL_MAX_CHARS = 2000;
export const SECRET_MAX_CHARS = 500;
export const NAME_PREFIX_MAX_CHARS = 200;
export const DELIVERIES_LIMIT_DEFAULT = 50;
export const DELIVERIES_LIMIT_MAX = 500;

const EventSchema = Type.Union(WEBHOOK_EVENTS.map((e) => Type.Literal(e)), { $id: "WebhookEvent" });
const FormatSchema = Type.Union(WEBHOOK_FORMATS.map((f) => Type.Literal(f)), {
  description: "json: the event with a `text` summary; slack: only {text}, for a Slack/Mattermost incoming-webhook URL",
});

const FilterSchema = Type.Object(
  {
    queue: Type.Optional(Type.Union([Type.String({ pattern: "^[a-z0-9_-]{1,64}$" }), Type.Null()], { description: "only tasks of this queue (worker.dead: workers serving it)" })),
    name_prefix: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: NAME_PREFIX_MAX_CHARS }), Type.Null()], { description: "only tasks (worker.dead: workers) whose name starts with this" })),
    schedule_id: Type.Optional(Type.Union([Type.String({ format: "uuid" }), Type.Null()], { description: "only tasks made by this schedule (then no worker events)" })),
  },
  { additionalProperties: false },
);

export const NewWebhookBody = Type.Object(
  {
    url: Type.String({ maxLength: URL_MAX_CHARS, description: "http(s) URL; loopback, link-local and private addresses are refused unless --webhook-allow-private" }),
    events: Type.Array(EventSchema, { minItems: 1, uniqueItems: true }),
    filter: Type.Optional(FilterSchema),
    secret: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: SECRET_MAX_CHARS }), Type.Null()], { description: "signs each delivery: X-Taskflow-Signature: sha256=HMAC(secret, timestamp.body); never shown again" })),
    format: Type.Optional(Type.Union([FormatSchema], { default: "json" })),
    enabled: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);

export const WebhookPatchBody = Type.Partial(NewWebhookBody, { additionalProperties: false });

/** What each top-level field accepts, in words. */
export const WEBHOOK_FIELD_RULES = {
  url: `must be an absolute http:// or https:// URL of at most ${URL_MAX_CHARS} characters`,
  events: `must be a non-empty array of distinct events: ${WEBHOOK_EVENTS.join(", ")}`,
  filter: "must be an object with any of queue, name_prefix, schedule_id",
  secret: `must be a string of 1 to ${SECRET_MAX_CHARS} characters, or null`,
  format: `must be one of ${WEBHOOK_FORMATS.join(", ")}`,
  enabled: "must be true or false",
} as const;

/** Fields the API sets; naming one in a request is answered "is read-only". */
export const WEBHOOK_READ_ONLY_FIELDS = ["id", "signed", "pending_deliveries", "failed_deliveries", "last_delivery_status", "created_at", "updated_at"];

const time = () => Type.String({ format: "date-time" });
const nullable = <T extends TSchema>(schema: T, description?: string) => Type.Union([schema, Type.Null()], description ? { description } : {});

export const WebhookJsonSchema = Type.Object(
  {
    id: Type.String({ format: "uuid" }),
    url: Type.String(),
    events: Type.Array(EventSchema),
    filter: Type.Object({ queue: nullable(Type.String()), name_prefix: nullable(Type.String()), schedule_id: nullable(Type.String({ format: "uuid" })) }),
    format: FormatSchema,
    enabled: Type.Boolean(),
    signed: Type.Boolean({ description: "whether a secret is set (the secret itself is never shown)" }),
    pending_deliveries: Type.Integer({ description: "deliveries waiting to be sent or being retried" }),
    failed_deliveries: Type.Integer({ description: "deliveries given up after 24 h of retries" }),
    last_delivery_status: nullable(Type.String(), "pending, delivered or failed: the newest delivery's status"),
    created_at: time(),
    updated_at: time(),
  },
  { $id: "Webhook" },
);
export type WebhookJson = Static<typeof WebhookJsonSchema>;

export const WebhookListJsonSchema = Type.Object({ webhooks: Type.Array(WebhookJsonSchema, { description: "oldest first" }) }, { $id: "WebhookList" });

export const DeliveryAttemptJsonSchema = Type.Object({
  attempt: Type.Integer(),
  started_at: time(),
  duration_ms: Type.Integer(),
  status_code: nullable(Type.Integer(), "the receiver's HTTP status; null when none came"),
  error: nullable(Type.String()),
  response_snippet: nullable(Type.String({ description: "the first KiB of the answer" })),
});

export const DeliveryJsonSchema = Type.Object(
  {
    id: Type.String({ format: "uuid", description: "also the body's id and the X-Taskflow-Delivery header: receivers dedupe by it" }),
    event: EventSchema,
    status: Type.Union([Type.Literal("pending"), Type.Literal("delivered"), Type.Literal("failed")]),
    attempts: Type.Integer(),
    created_at: time(),
    next_attempt_at: nullable(time(), "when a pending delivery is tried next"),
    finished_at: nullable(time()),
    last_status_code: nullable(Type.Integer()),
    last_error: nullable(Type.String()),
    payload: Type.Record(Type.String(), Type.Unknown(), { description: "the event's data: occurred_at and the task (without env values) or the worker" }),
    attempt_log: Type.Array(DeliveryAttemptJsonSchema),
  },
  { $id: "WebhookDelivery" },
);

export const DeliveryListJsonSchema = Type.Object(
  {
    deliveries: Type.Array(DeliveryJsonSchema, { description: "newest first" }),
    next_cursor: nullable(Type.String(), "pass as ?cursor= for older deliveries"),
  },
  { $id: "WebhookDeliveryList" },
);
export type DeliveryListJson = Static<typeof DeliveryListJsonSchema>;

export const DeliveriesQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: DELIVERIES_LIMIT_MAX, default: DELIVERIES_LIMIT_DEFAULT })),
  cursor: Type.Optional(Type.String({ description: "next_cursor of the previous page" })),
});
