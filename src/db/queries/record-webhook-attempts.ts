/**
 * recordWebhookAttempt: a send's result. The attempt is logged; the delivery is then
 * delivered, due again at `retryAt`, or failed for good (retryAt null). Fenced by the
 * attempt number: if this sender's lease ran out and another took the delivery over,
 * the late result is still logged but does not move the delivery.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import { rows } from "../sql.ts";

export interface WebhookAttemptResult {
  deliveryId: string;
  attempt: number;
  startedAt: Date;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  responseSnippet: string | null;
  delivered: boolean;
  /** When to try again after a failure; null = give up. */
  retryAt: Date | null;
}

/** Records the result; true when the delivery was still this attempt's to settle. */
export async function recordWebhookAttempt(db: Db, r: WebhookAttemptResult): Promise<boolean> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`
      insert into webhook_delivery_attempts (delivery_id, attempt, started_at, duration_ms, status_code, error, response_snippet)
      values (${r.deliveryId}, ${r.attempt}, ${r.startedAt.toISOString()}, ${Math.round(r.durationMs)}, ${r.statusCode}, ${r.error}, ${r.responseSnippet})
      on conflict do nothing`);
    const status = r.delivered ? "delivered" : r.retryAt === null ? "failed" : "pending";
    const next = r.retryAt?.toISOString() ?? null;
    const settled = rows<{ id: string }>(await tx.execute(sql`
      update webhook_deliveries
      set status = ${status}, last_status_code = ${r.statusCode}, last_error = ${r.error},
          next_attempt_at = coalesce(${next}::timestamptz, next_attempt_at),
          finished_at = case when ${status} = 'pending' then null else now() end
      where id = ${r.deliveryId} and attempts = ${r.attempt} and status = 'pending'
      returning id`));
    return settled.length > 0;
  });
}
