/**
 * markDeadWorkers: sessions silent for longer than the worker timeout, judged by the
 * database's clock (never a coordinator's), are declared dead, and their live
 * attempts are failed as lost in the same transaction, so no coordinator crash can
 * leave a task "running" on a dead worker. Safe to run from every coordinator at once.
 */
import { sql } from "drizzle-orm";
import { ACTIVE_STATUSES } from "../../core/task-status.ts";
import type { Db } from "../client.ts";
import { notifySql, WORKER_CHANNEL } from "../channels.ts";
import { loseAttempts } from "./lose-attempts.ts";
import { rows, statusListSql } from "../sql.ts";

export interface DeadWorker {
  id: string;
  name: string;
  /** Attempts failed as lost. */
  lostAttempts: number;
}

export async function markDeadWorkers(db: Db, timeoutMs: number): Promise<DeadWorker[]> {
  return db.transaction(async (tx) => {
    const dead = rows<{ id: string; name: string }>(await tx.execute(sql`
      update workers set status = 'dead', stopped_at = now(), running = 0
      where status <> 'dead' and last_heartbeat_at < now() - ${timeoutMs} * interval '1 millisecond'
      returning id, name`));
    // Also sweep live attempts left on sessions that are already dead (e.g. a session that left).
    const stranded = rows<{ worker_id: string }>(await tx.execute(sql`
      select distinct t.worker_id from tasks t join workers w on w.id = t.worker_id
      where t.status in ${statusListSql(ACTIVE_STATUSES)} and w.status = 'dead'`));
    const ids = [...new Set([...dead.map((d) => d.id), ...stranded.map((s) => s.worker_id)])];
    if (ids.length === 0) return [];
    const out: DeadWorker[] = [];
    for (const w of dead) {
      const lost = await loseAttempts(tx, { workerIds: [w.id] }, `worker ${w.name} was lost (no heartbeat for ${timeoutMs} ms)`);
      out.push({ ...w, lostAttempts: lost });
    }
    const strandedOnly = ids.filter((id) => !dead.some((d) => d.id === id));
    if (strandedOnly.length) await loseAttempts(tx, { workerIds: strandedOnly }, "worker left while the attempt was live");
    const notify = notifySql(WORKER_CHANNEL, dead.map((d) => ({ id: d.id, name: d.name, status: "dead" })));
    if (notify) await tx.execute(notify);
    return out;
  });
}
