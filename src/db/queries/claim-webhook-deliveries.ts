/**
 * claimWebhookDeliveries: a sender takes due deliveries under a lease. One statement
 * with FOR UPDATE SKIP LOCKED, so any number of coordinators share the outbox and
 * each delivery goes to one of them. The lease (next_attempt_at moved past the send's
 * time limit) is what lets another coordinator take it over if this one dies mid-send;
 * no transaction stays open across the HTTP request.
 */
import { sql } from "drizzle-orm";
import { executePrepared, type Db } from "../client.ts";
import { rows } from "../sql.ts";

export interface ClaimedDelivery {
  id: string;
  webhookId: string;
  event: string;
  payload: Record<string, unknown>;
  /** This attempt's number (1 for the first). */
  attempt: number;
  createdAt: Date;
  url: string;
  secret: string | null;
  format: string;
}

interface Row {
  id: string;
  webhook_id: string;
  event: string;
  payload: Record<string, unknown> | string;
  attempts: number;
  created_at: string | Date;
  url: string;
  secret: string | null;
  format: string;
}

export async function claimWebhookDeliveries(db: Db, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  const claimed = rows<Row>(await executePrepared(db, sql`
    with due as (
      select id from webhook_deliveries
      where status = 'pending' and next_attempt_at <= now()
      order by next_attempt_at, id
      limit ${limit}
      for update skip locked
    )
    update webhook_deliveries d
    set attempts = d.attempts + 1, next_attempt_at = now() + ${leaseMs} * interval '1 millisecond'
    from due, webhooks w
    where d.id = due.id and w.id = d.webhook_id
    returning d.id, d.webhook_id, d.event, d.payload, d.attempts, d.created_at, w.url, w.secret, w.format`));
  return claimed.map((r) => ({
    id: r.id,
    webhookId: r.webhook_id,
    event: r.event,
    payload: typeof r.payload === "string" ? JSON.parse(r.payload) : r.payload,
    attempt: Number(r.attempts),
    createdAt: new Date(r.created_at),
    url: r.url,
    secret: r.secret,
    format: r.format,
  }));
}
