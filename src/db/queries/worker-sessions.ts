/**
 * Worker sessions in the workers table: register or resume at hello, heartbeats
 * (judged by the database's clock), a clean leave, and the live attempts of a session.
 */
import { sql } from "drizzle-orm";
import { WORKER_CHANNEL, notifySql, type WorkerChange } from "../channels.ts";
import { executePrepared } from "../client.ts";
import { rows } from "../rows.ts";
import { toTextArray } from "./claim-due-tasks.ts";
import type { Executor } from "./record-transitions.ts";

export interface WorkerHello {
  name: string;
  host: string;
  pid: number;
  queues: string[];
  concurrency: number;
  version: string;
  draining: boolean;
  /** The address of the coordinator holding the stream. */
  coordinator: string;
  /** That coordinator's id (its row in `coordinators`); null outside a coordinator (tests, tools). */
  coordinatorId?: string | null;
}

/**
 * Resumes `previousId` if that session is still alive (a coordinator restart or a
 * reconnect within the timeout), else registers a new session. Returns its id.
 */
export async function openWorkerSession(db: Executor, hello: WorkerHello, previousId: string | null): Promise<{ id: string; resumed: boolean }> {
  const status = hello.draining ? "draining" : "alive";
  if (previousId && /^[0-9a-f-]{36}$/i.test(previousId)) {
    const resumed = rows<{ id: string }>(await db.execute(sql`
      update workers set status = ${status}, coordinator = ${hello.coordinator}, coordinator_id = ${hello.coordinatorId ?? null}, last_heartbeat_at = now(),
        concurrency = ${hello.concurrency}, queues = ${toTextArray(hello.queues)}::text[]
      where id = ${previousId} and status <> 'dead' returning id`));
    if (resumed[0]) {
      await notifyWorker(db, { id: resumed[0].id, name: hello.name, status });
      return { id: resumed[0].id, resumed: true };
    }
  }
  const created = rows<{ id: string }>(await db.execute(sql`
    insert into workers (name, host, pid, status, queues, concurrency, version, coordinator, coordinator_id)
    values (${hello.name}, ${hello.host}, ${hello.pid}, ${status}, ${toTextArray(hello.queues)}::text[],
            ${hello.concurrency}, ${hello.version}, ${hello.coordinator}, ${hello.coordinatorId ?? null})
    returning id`));
  await notifyWorker(db, { id: created[0]!.id, name: hello.name, status });
  return { id: created[0]!.id, resumed: false };
}

/** Records a heartbeat; false when the session was declared dead (its messages are refused from then on). */
export async function recordHeartbeat(db: Executor, workerId: string, running: number, draining: boolean): Promise<boolean> {
  const r = rows<{ id: string; was: string; name: string }>(await executePrepared(db, sql`
    update workers w set last_heartbeat_at = now(), running = ${running},
      status = case when ${draining} then 'draining' else w.status end
    from (select id, status as was from workers where id = ${workerId} for update) old
    where w.id = old.id and w.status <> 'dead'
    returning w.id, old.was, w.name`));
  const row = r[0];
  if (row && draining && row.was !== "draining") await notifyWorker(db, { id: workerId, name: row.name, status: "draining" });
  return row !== undefined;
}

/** The session ended on purpose (a drained worker left, or its coordinator is shutting it out). */
export async function markWorkerLeft(db: Executor, workerId: string): Promise<void> {
  const r = rows<{ name: string }>(await db.execute(sql`
    update workers set status = 'dead', stopped_at = now(), running = 0, stop_reason = 'left'
    where id = ${workerId} and status <> 'dead' returning name`));
  if (r[0]) await notifyWorker(db, { id: workerId, name: r[0].name, status: "dead" });
}

/** Live attempts (picked/running) of a worker session, with their age by the database clock. */
export async function liveAttemptsOf(db: Executor, workerId: string): Promise<{ taskId: string; attempt: number; ageMs: number }[]> {
  const r = rows<{ id: string; attempt: number; age_ms: string | number }>(await db.execute(sql`
    select id, attempt, extract(epoch from (now() - picked_at)) * 1000 as age_ms
    from tasks where worker_id = ${workerId} and status in ('picked', 'running')`));
  return r.map((x) => ({ taskId: x.id, attempt: Number(x.attempt), ageMs: Number(x.age_ms) }));
}

export async function notifyWorker(db: Executor, change: WorkerChange): Promise<void> {
  const q = notifySql(WORKER_CHANNEL, [change]);
  if (q) await db.execute(q);
}
