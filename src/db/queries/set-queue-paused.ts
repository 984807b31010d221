/**
 * setQueuePaused: pauses or resumes a queue. The pause first locks the queue's row
 * FOR UPDATE, which waits for every claim in flight on it (claims key-share lock the
 * rows of the queues they take from, claim-due-tasks.ts) and makes later claims wait
 * for this commit and then skip the queue: once this returns, no claim can pick a
 * task of a paused queue. The upsert alone would not do: an update that changes no
 * key column takes FOR NO KEY UPDATE, which key-share locks do not wait for.
 * paused_at is when the pause took effect (the clock once the row is locked, not the
 * transaction's start), so every task picked before it has an earlier picked_at.
 * Resuming wakes the coordinators.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import { notifySql, WAKE_CHANNEL } from "../channels.ts";
import { rows } from "../sql.ts";

export interface QueueState {
  name: string;
  paused: boolean;
  pausedAt: Date | null;
}

export async function setQueuePaused(db: Db, name: string, paused: boolean): Promise<QueueState> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`insert into queues (name) values (${name}) on conflict (name) do nothing`);
    await tx.execute(sql`select 1 from queues where name = ${name} for update`);
    const [row] = rows<{ name: string; paused: boolean; paused_at: string | Date | null }>(
      await tx.execute(sql`
        insert into queues (name, paused, paused_at) values (${name}, ${paused}, case when ${paused} then clock_timestamp() end)
        on conflict (name) do update
        set paused = excluded.paused,
            paused_at = case when excluded.paused then coalesce(queues.paused_at, clock_timestamp()) end,
            updated_at = now()
        returning name, paused, paused_at`),
    );
    if (!paused) await tx.execute(notifySql(WAKE_CHANNEL, [name])!);
    return { name: row!.name, paused: row!.paused, pausedAt: row!.paused_at === null ? null : new Date(row!.paused_at) };
  });
}
