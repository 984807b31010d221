/**
 * recordCoordinatorPresence: one liveness pass of a coordinator, in one statement.
 * Its own row says it is seen now, and since when it has recorded without a gap
 * (`recording_since` starts again when the previous pass failed or came late). The
 * workers it hears get their heartbeats recorded too, aged by how long ago it heard
 * them: whenever this succeeds, every worker this coordinator hears has a recent
 * heartbeat in the database. This is how heartbeats are recorded: one statement per
 * pass for all of a coordinator's sessions, not one per heartbeat (issue 22), with
 * each worker's running count from its last heartbeat.
 */
import { sql } from "drizzle-orm";
import { rows } from "../sql.ts";
import type { Executor } from "../sql.ts";

export interface CoordinatorPresence {
  id: string;
  address: string;
  /** The previous pass failed or came late: recording starts again now. */
  interrupted: boolean;
  /**
   * Workers whose streams this coordinator holds, how long ago it last heard each (ms),
   * and how many attempts its last heartbeat reported running (unchanged when absent).
   */
  heard: Array<{ workerId: string; agoMs: number; running?: number }>;
}

/** Records the pass; returns how long (ms, database clock) this coordinator has been recording without a gap. */
export async function recordCoordinatorPresence(db: Executor, p: CoordinatorPresence): Promise<number> {
  const heard = JSON.stringify(p.heard.map((h) => ({ id: h.workerId, ago_ms: Math.max(0, h.agoMs), running: h.running ?? null })));
  const r = rows<{ recording_ms: number | string }>(await db.execute(sql`
    with me as (
      insert into coordinators (id, address) values (${p.id}, ${p.address})
      on conflict (id) do update set last_seen_at = now(), stopped_at = null,
        recording_since = case when ${p.interrupted} then now() else coordinators.recording_since end
      returning recording_since
    ), heard as (
      update workers w set last_heartbeat_at = greatest(w.last_heartbeat_at, now() - h.ago_ms * interval '1 millisecond'),
        running = coalesce(h.running, w.running)
      from jsonb_to_recordset(${heard}::jsonb) as h(id uuid, ago_ms float8, running int)
      where w.id = h.id and w.status <> 'dead'
      returning w.id
    )
    select (extract(epoch from (now() - recording_since)) * 1000)::float8 as recording_ms from me`));
  return Number(r[0]?.recording_ms ?? 0);
}

/**
 * The coordinator stops on purpose: its workers are judged by their own heartbeats
 * from now on (they fail over to another coordinator within their timeout).
 */
export async function markCoordinatorStopped(db: Executor, id: string): Promise<void> {
  await db.execute(sql`update coordinators set stopped_at = now() where id = ${id}`);
}

/**
 * On the embedded database every other coordinator row is from an earlier run of
 * this process (PGlite serves one process), so it has stopped, whatever its row says.
 * Rows of coordinators gone for a day are removed once no worker session names them.
 */
export async function retireCoordinators(db: Executor, selfId: string, embedded: boolean): Promise<void> {
  if (embedded) await db.execute(sql`update coordinators set stopped_at = coalesce(stopped_at, last_seen_at) where id <> ${selfId}`);
  await db.execute(sql`
    delete from coordinators c where c.last_seen_at < now() - interval '1 day'
      and not exists (select 1 from workers w where w.coordinator_id = c.id and w.status <> 'dead')`);
}
