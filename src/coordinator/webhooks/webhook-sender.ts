/**
 * The webhook sender: every coordinator runs one. Each pass claims due deliveries from
 * the outbox under a lease (claimWebhookDeliveries), POSTs them signed, and records each
 * attempt with its answer; a failure is tried again with exponential backoff until the
 * delivery is 24 h old. A coordinator that dies mid-send leaves its lease to run out,
 * then another coordinator (or this one restarted) sends the delivery again: delivery is
 * at least once, and the body's `id` lets receivers drop the duplicate.
 */
import type { Service } from "../../core/lifecycle.ts";
import { WakeableLoop } from "../../core/wakeable-loop.ts";
import type { Db } from "../../db/client.ts";
import { claimWebhookDeliveries, type ClaimedDelivery } from "../../db/queries/claim-webhook-deliveries.ts";
import { pruneWebhookDeliveries } from "../../db/queries/prune-webhook-deliveries.ts";
import { recordWebhookAttempt } from "../../db/queries/record-webhook-attempts.ts";
import type { Logger } from "../../log/logger.ts";
import { VERSION } from "../../core/version.ts";
import { DEFAULT_DELIVERY_BACKOFF, nextDeliveryAt, type DeliveryBackoff } from "./delivery-backoff.ts";
import { deliveryBody } from "./delivery-body.ts";
import { sendWebhook, SEND_TIMEOUT_MS, type SendResult } from "./send-webhook.ts";
import { signWebhook, SIGNATURE_HEADER, TIMESTAMP_HEADER } from "./signature.ts";

/** How often an idle sender looks for due deliveries. */
export const WEBHOOK_POLL_MS = 1000;
/** Deliveries sent at once by one sender. */
const BATCH_DEFAULT = 20;
/** Delivered and given-up deliveries are kept this long (for GET /api/webhooks/:id/deliveries), then pruned. */
export const DELIVERY_KEEP_MS_DEFAULT = 7 * 24 * 3_600_000;
/** How often a sender prunes, and how many rows at most each time. */
const PRUNE_EVERY_MS = 10 * 60_000;
const PRUNE_BATCH = 1000;
const ERROR_BACKOFF_MS = 1000;

export interface WebhookSenderOptions {
  allowPrivate: boolean;
  pollMs?: number;
  batchSize?: number;
  timeoutMs?: number;
  backoff?: DeliveryBackoff;
  /** How long finished deliveries are kept. */
  keepMs?: number;
  /** Called after each attempt (metrics). */
  onAttempt?: (event: string, result: SendResult, seconds: number) => void;
  /** Called with the number of deliveries each prune deleted (metrics). */
  onPruned?: (count: number) => void;
}

export class WebhookSender implements Service {
  readonly name = "webhook-sender";
  private readonly loop: WakeableLoop;
  private readonly timeoutMs: number;
  private readonly backoff: DeliveryBackoff;
  /** When this sender last pruned (0: not yet, so the first pass prunes). */
  private prunedAt = 0;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly opts: WebhookSenderOptions,
  ) {
    this.timeoutMs = opts.timeoutMs ?? SEND_TIMEOUT_MS;
    this.backoff = opts.backoff ?? DEFAULT_DELIVERY_BACKOFF;
    this.loop = new WakeableLoop(
      async () => ((await this.runOnce()) === (opts.batchSize ?? BATCH_DEFAULT) ? "again" : (opts.pollMs ?? WEBHOOK_POLL_MS)),
      log,
      { what: "webhook delivery pass", errorBackoffMs: ERROR_BACKOFF_MS },
    );
  }

  async start(): Promise<void> {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** Claims and sends one batch of due deliveries; returns how many it claimed. */
  async runOnce(): Promise<number> {
    // The lease outlasts the request's time limit, so no other sender takes a delivery still being sent.
    const claimed = await claimWebhookDeliveries(this.db, this.opts.batchSize ?? BATCH_DEFAULT, this.timeoutMs + 5000);
    await Promise.all(claimed.map((d) => this.deliver(d)));
    if (Date.now() - this.prunedAt >= PRUNE_EVERY_MS) await this.prune();
    return claimed.length;
  }

  /** Deletes finished deliveries older than the keep time (every coordinator may; SKIP LOCKED keeps them apart). */
  async prune(): Promise<number> {
    this.prunedAt = Date.now();
    const n = await pruneWebhookDeliveries(this.db, this.opts.keepMs ?? DELIVERY_KEEP_MS_DEFAULT, PRUNE_BATCH);
    this.opts.onPruned?.(n);
    if (n > 0) this.log.debug("pruned {count} finished webhook deliveries", { count: n });
    return n;
  }

  private async deliver(d: ClaimedDelivery): Promise<void> {
    const body = deliveryBody(d);
    const timestamp = Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": `taskflow/${VERSION}`,
      "x-taskflow-event": d.event,
      "x-taskflow-delivery": d.id,
      [TIMESTAMP_HEADER]: String(timestamp),
    };
    if (d.secret) headers[SIGNATURE_HEADER] = signWebhook(d.secret, timestamp, body);
    const startedAt = new Date();
    const result = await sendWebhook(d.url, headers, body, { allowPrivate: this.opts.allowPrivate, timeoutMs: this.timeoutMs });
    const durationMs = Date.now() - startedAt.getTime();
    this.opts.onAttempt?.(d.event, result, durationMs / 1000);
    const retryAt = result.delivered ? null : nextDeliveryAt(d.createdAt, d.attempt, new Date(), this.backoff);
    const settled = await recordWebhookAttempt(this.db, { deliveryId: d.id, attempt: d.attempt, startedAt, durationMs, ...result, retryAt });
    const fields = { delivery: d.id, event: d.event, attempt: d.attempt, status: result.statusCode, error: result.error };
    if (!settled) this.log.warn("webhook delivery {delivery} attempt {attempt} finished after its lease ran out; another sender has it", fields);
    else if (result.delivered) this.log.debug("webhook delivery {delivery} ({event}) delivered on attempt {attempt}", fields);
    else if (retryAt) this.log.info("webhook delivery {delivery} ({event}) attempt {attempt} failed, retrying at {retryAt}: {error}", { ...fields, retryAt: retryAt.toISOString() });
    else this.log.warn("webhook delivery {delivery} ({event}) given up after {attempt} attempts: {error}", fields);
  }
}
