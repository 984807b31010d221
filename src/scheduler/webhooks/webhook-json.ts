/** Webhooks and their deliveries as the API shows them: snake_case, ISO-8601 UTC, never the secret. */
import type { WebhookEvent, WebhookFormat } from "../../core/webhook-events.ts";
import type { DeliveryView } from "../../db/queries/list-webhook-deliveries.ts";
import type { WebhookView } from "../../db/queries/list-webhooks.ts";
import type { DeliveryListJson, WebhookJson } from "./model.ts";

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function webhookJson(w: WebhookView): WebhookJson {
  return {
    id: w.id,
    url: w.url,
    events: w.events as WebhookEvent[],
    filter: { queue: w.queue, name_prefix: w.namePrefix, schedule_id: w.scheduleId },
    format: w.format as WebhookFormat,
    enabled: w.enabled,
    signed: w.secret !== null,
    pending_deliveries: w.pending,
    failed_deliveries: w.failed,
    last_delivery_status: w.lastDeliveryStatus,
    created_at: iso(w.createdAt)!,
    updated_at: iso(w.updatedAt)!,
  };
}

type DeliveryJson = DeliveryListJson["deliveries"][number];

export function deliveryJson(d: DeliveryView): DeliveryJson {
  return {
    id: d.id,
    event: d.event as WebhookEvent,
    status: d.status as DeliveryJson["status"],
    attempts: d.attempts,
    created_at: iso(d.createdAt)!,
    next_attempt_at: d.status === "pending" ? iso(d.nextAttemptAt) : null,
    finished_at: iso(d.finishedAt),
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    payload: d.payload,
    attempt_log: d.attemptLog.map((a) => ({
      attempt: a.attempt,
      started_at: iso(a.startedAt)!,
      duration_ms: a.durationMs,
      status_code: a.statusCode,
      error: a.error,
      response_snippet: a.responseSnippet,
    })),
  };
}

/** An opaque cursor for the delivery after `d`. */
export function deliveryCursor(d: DeliveryView): string {
  return Buffer.from(`${d.createdAt.toISOString()}|${d.id}`).toString("base64url");
}

/** The (created_at, id) a cursor names, or null when it is not one of ours. */
export function parseDeliveryCursor(cursor: string): { createdAt: Date; id: string } | null {
  const [at, id] = Buffer.from(cursor, "base64url").toString().split("|");
  const createdAt = new Date(at ?? "");
  if (!id || !/^[0-9a-f-]{36}$/.test(id) || Number.isNaN(createdAt.getTime())) return null;
  return { createdAt, id };
}
