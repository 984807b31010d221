/**
 * pruneWebhookDeliveries: deliveries that were delivered or given up more than
 * `keepMs` ago are deleted with their attempts (by cascade), a batch at a time, so the
 * outbox stays small however long taskflow runs. Pending deliveries are never pruned.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import { rows } from "../sql.ts";

/** Deletes up to `limit` old finished deliveries; returns how many. */
export async function pruneWebhookDeliveries(db: Db, keepMs: number, limit: number): Promise<number> {
  const deleted = rows<{ id: string }>(await db.execute(sql`
    delete from webhook_deliveries where id in (
      select id from webhook_deliveries
      where status <> 'pending' and finished_at < now() - ${keepMs} * interval '1 millisecond'
      limit ${limit}
      for update skip locked)
    returning id`));
  return deleted.length;
}
