/**
 * markDeadWorkers: the one place a worker is declared dead. A session whose last
 * heartbeat is older than the worker timeout (by the database's clock, never a
 * coordinator's) is dead, but only when that silence means something: heartbeats
 * can only be missing if someone could have recorded them. So the silence counts
 *
 * 1. when the coordinator holding its stream has recorded without a gap for a whole
 *    timeout and is recording now (it would have recorded any heartbeat it heard),
 *    silent for a whole timeout before that coordinator's last pass: heartbeats are
 *    recorded by those passes (one statement for all of its sessions), so a pass
 *    a little old never makes a heard worker look silent to another judge;
 * 2. when that coordinator stopped on purpose (or is unknown), once the judge has
 *    recorded for a whole timeout (the worker had that long to fail over);
 * 3. when that coordinator has been silent for `goneMs` (crashed, or cut off), once
 *    the judge has recorded for that long too (a live coordinator slow to come back
 *    after a database outage is not mistaken for a dead one).
 *
 * A database outage, however long, therefore never kills a live worker: after it,
 * each coordinator's first pass records the workers it hears (recordCoordinatorPresence)
 * before any silence counts. Dead sessions' live attempts are failed as lost in the
 * same transaction, so no coordinator crash can leave a task "running" on a dead
 * worker. Safe to run from every coordinator at once.
 */
import { sql } from "drizzle-orm";
import { ACTIVE_STATUSES } from "../../core/task-status.ts";
import type { Db } from "../client.ts";
import { notifySql, WORKER_CHANNEL } from "../channels.ts";
import { loseAttempts, loseAttemptsByWorker } from "./lose-attempts.ts";
import { rows, statusListSql } from "../sql.ts";

export interface DeadWorker {
  id: string;
  name: string;
  /** Attempts failed as lost. */
  lostAttempts: number;
}

export interface LivenessJudge {
  /** The judging coordinator's id (its row must exist: recordCoordinatorPresence first). */
  coordinatorId: string;
  timeoutMs: number;
  /** How long a coordinator must be silent before its sessions are judged without it. */
  goneMs: number;
  /** How recent a coordinator's last pass must be for it to count as recording now. */
  freshMs: number;
}

export async function markDeadWorkers(db: Db, judge: LivenessJudge): Promise<DeadWorker[]> {
  const { coordinatorId, timeoutMs, goneMs, freshMs } = judge;
  const ms = (n: number) => sql`(now() - ${n} * interval '1 millisecond')`;
  return db.transaction(async (tx) => {
    const dead = rows<{ id: string; name: string }>(await tx.execute(sql`
      with judge as (select recording_since from coordinators where id = ${coordinatorId})
      update workers w set status = 'dead', stopped_at = now(), running = 0
      from judge
      where w.status <> 'dead' and w.last_heartbeat_at < ${ms(timeoutMs)}
        and (
          exists (select 1 from coordinators c where c.id = w.coordinator_id and c.stopped_at is null
                  and c.recording_since <= ${ms(timeoutMs)} and c.last_seen_at >= ${ms(freshMs)}
                  and w.last_heartbeat_at < c.last_seen_at - ${timeoutMs} * interval '1 millisecond')
          or (judge.recording_since <= ${ms(timeoutMs)}
              and not exists (select 1 from coordinators c where c.id = w.coordinator_id and c.stopped_at is null))
          or (judge.recording_since <= ${ms(goneMs)}
              and not exists (select 1 from coordinators c where c.id = w.coordinator_id and c.last_seen_at >= ${ms(goneMs)}))
        )
      returning w.id, w.name`));
    // Also sweep live attempts left on sessions that are already dead (e.g. a session that left).
    const stranded = rows<{ worker_id: string }>(await tx.execute(sql`
      select distinct t.worker_id from tasks t join workers w on w.id = t.worker_id
      where t.status in ${statusListSql(ACTIVE_STATUSES)} and w.status = 'dead'`));
    const ids = [...new Set([...dead.map((d) => d.id), ...stranded.map((s) => s.worker_id)])];
    if (ids.length === 0) return [];
    // All dead sessions' attempts in the same few statements: 100 workers dying at once cost no more than one.
    const names = new Map(dead.map((d) => [d.id, d.name]));
    const lost = dead.length === 0 ? new Map<string, number>() : await loseAttemptsByWorker(tx, { workerIds: dead.map((d) => d.id) }, (id) => `worker ${names.get(id)} was lost (no heartbeat for ${timeoutMs} ms)`);
    const out: DeadWorker[] = dead.map((w) => ({ ...w, lostAttempts: lost.get(w.id) ?? 0 }));
    const strandedOnly = ids.filter((id) => !dead.some((d) => d.id === id));
    if (strandedOnly.length) await loseAttempts(tx, { workerIds: strandedOnly }, "worker left while the attempt was live");
    const notify = notifySql(WORKER_CHANNEL, dead.map((d) => ({ id: d.id, name: d.name, status: "dead" })));
    if (notify) await tx.execute(notify);
    return out;
  });
}
