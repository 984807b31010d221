/**
 * A session's heartbeats. Recording one costs no statement of its own: the liveness
 * monitor's pass writes every heard session's heartbeat time and running count in
 * one statement (record-coordinator-presence.ts), and the comparison with what the
 * database says the worker runs is batched here, one statement per heartbeat
 * interval for all of this coordinator's sessions (HeartbeatBatch). Attempts a
 * worker runs that are no longer current are killed; live attempts it no longer has
 * (orphans) are failed as lost and retried. A session declared dead is refused and
 * must reconnect as a new one. Only a draining worker's heartbeat is written at
 * once: no dispatch may follow the drain, and the dashboard shows it.
 */
import * as grpc from "@grpc/grpc-js";
import { attemptKey, parseAttemptKey, type AttemptRef } from "../../core/attempt.ts";
import { plural } from "../../core/plural.ts";
import type { Service } from "../../core/lifecycle.ts";
import type { Db } from "../../db/client.ts";
import { databaseErrorMessage, isConnectionError } from "../../db/connection-errors.ts";
import { listLiveAttempts, type LiveAttempt } from "../../db/queries/list-live-attempts.ts";
import { loseAttemptsByWorker } from "../../db/queries/lose-attempts.ts";
import { recordHeartbeat } from "../../db/queries/record-heartbeat.ts";
import type { Logger } from "../../log/logger.ts";
import type { HeartbeatOutput } from "../../proto/index.ts";
import type { ConnectDeps } from "./connect-stream.ts";
import type { WorkerSession } from "./worker-session.ts";

/** A live attempt the worker does not report is lost only once it is this old, so a claim racing a heartbeat is not. */
const ORPHAN_MIN_AGE_MS = 5000;

export async function onHeartbeat(session: WorkerSession, hb: HeartbeatOutput, deps: ConnectDeps): Promise<void> {
  // Before the database hears of it: once the workers table says "draining", no new dispatch may follow.
  const draining = session.drainingFromHeartbeat(hb.draining);
  const changed = draining !== session.draining;
  if (changed) {
    session.draining = draining;
    deps.log.info(draining ? "worker {worker} is draining" : "worker {worker} resumed", { worker: session.name });
    if (!draining) deps.wake();
  }
  session.running = hb.running.length;
  const keys = hb.running.map((r) => attemptKey(r.task_id, r.attempt));
  // Draining (or back from it) is written at once, with the status: the batch writes only times and counts.
  if ((draining || changed) && !(await recordDrainState(session, draining, deps))) return;
  deps.heartbeats.add(session, keys);
}

/** Writes a draining (or resumed) worker's heartbeat at once; false when the session was declared dead (and is now closed). */
async function recordDrainState(session: WorkerSession, draining: boolean, deps: ConnectDeps): Promise<boolean> {
  try {
    if (await recordHeartbeat(deps.db, session.id, session.running, draining)) return true;
  } catch (err) {
    // Nothing changed: keep the stream (closing it would only send the worker into
    // reconnect backoff while the database is away); the next heartbeat tries again.
    deps.log.warn("could not record a heartbeat of {worker}: {error}", { worker: session.name, error: databaseErrorMessage(err) });
    return true;
  }
  refuseDead(session, deps.log);
  return false;
}

function refuseDead(session: WorkerSession, log: Logger): void {
  log.warn("refused a heartbeat from {worker}: it was declared dead; it must reconnect as a new session", { worker: session.name, workerId: session.id });
  session.close(grpc.status.FAILED_PRECONDITION, "worker session was declared dead; reconnect");
}

/** One session's latest heartbeat, waiting for the batch. */
interface Reported {
  keys: string[];
  /** Reported attempts that were in flight when the heartbeat came: one gone from flight since has finished, it is not stale. */
  inflightThen: Set<string>;
  /**
   * Every attempt in flight when the heartbeat came. Only these may be judged by its list:
   * one dispatched after it is missing from the list because the worker had not got it yet.
   */
  inflightAtHeartbeat: string[];
}

/**
 * Compares the sessions' latest heartbeats with the database once per heartbeat
 * interval, in one statement for all of them (and one transaction for all orphans).
 */
export class HeartbeatBatch implements Service {
  readonly name = "heartbeat-batch";
  private pending = new Map<WorkerSession, Reported>();
  private timer: Timer | null = null;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly intervalMs: number,
    private readonly log: Logger,
    /** Called when attempts were lost: due tasks may wait. */
    private readonly wake: () => void,
  ) {}

  async start(): Promise<void> {
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flushing;
  }

  /** Keeps the session's latest heartbeat for the next flush. */
  add(session: WorkerSession, keys: string[]): void {
    this.pending.set(session, { keys, inflightThen: new Set(keys.filter((k) => session.inflight.has(k))), inflightAtHeartbeat: [...session.inflight.keys()] });
  }

  /** Reconciles every session heard since the last flush; a flush under way is joined, not doubled. */
  flush(): Promise<void> {
    this.flushing ??= this.reconcileAll()
      .catch((err) => {
        // The database went away: the next heartbeats reconcile. Other errors are logged, never fatal to the sessions.
        const what = isConnectionError(err) ? "could not reconcile heartbeats" : "reconciling heartbeats failed";
        this.log.warn(`${what}: {error}`, { error: databaseErrorMessage(err) });
      })
      .finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async reconcileAll(): Promise<void> {
    const batch = [...this.pending].filter(([s]) => !s.closed);
    this.pending = new Map();
    if (batch.length === 0) return;
    // Only attempts in flight before the query, and already when the heartbeat came, may be judged by both:
    // a dispatch racing the query is not in its snapshot, one after the heartbeat not in the worker's list.
    const inflightBefore = new Map(batch.map(([s, r]) => [s, r.inflightAtHeartbeat.filter((k) => s.inflight.has(k))]));
    // Nor is an attempt whose result was being written: it may land between the query and the check.
    const heldBefore = new Map(batch.map(([s]) => [s, new Set([...s.inflight.keys(), ...s.finishing.keys()])]));
    const facts = await listLiveAttempts(this.db, batch.map(([s]) => s.id));
    const orphans: Array<{ session: WorkerSession; refs: AttemptRef[] }> = [];
    for (const [session, reported] of batch) {
      const f = facts.get(session.id)!;
      if (session.closed) continue;
      if (!f.alive) {
        refuseDead(session, this.log);
        continue;
      }
      const refs = reconcile(session, reported, f.live, inflightBefore.get(session)!, this.log).filter((r) => !heldBefore.get(session)!.has(attemptKey(r.taskId, r.attempt)));
      if (refs.length) orphans.push({ session, refs });
    }
    if (orphans.length === 0) return;
    const names = new Map(orphans.map((o) => [o.session.id, o.session.name]));
    const refs = orphans.flatMap((o) => o.refs);
    const lost = await this.db.transaction((tx) => loseAttemptsByWorker(tx, { attempts: refs }, (id) => `worker ${names.get(id)} no longer had the attempt`));
    for (const [id, n] of lost) this.log.warn("{attempts} missing on worker {worker} failed as lost", { n, attempts: plural(n, "attempt"), worker: names.get(id) });
    if (lost.size > 0) this.wake();
  }
}

/**
 * Compares what the worker reported running with the live attempts the database
 * holds for its session; kills the stale ones, frees slots of attempts gone from
 * both, and returns the orphans to fail as lost.
 */
function reconcile(session: WorkerSession, reported: Reported, live: LiveAttempt[], inflightBefore: string[], log: Logger): AttemptRef[] {
  const liveKeys = new Set(live.map((l) => attemptKey(l.taskId, l.attempt)));
  for (const key of reported.keys) {
    // Asked to stop already (a user's cancel, a timeout): the kill is on its way, nothing is stale.
    if (liveKeys.has(key) || session.stopping.has(key)) continue;
    // Its result came after the heartbeat: finished, not stale.
    if (reported.inflightThen.has(key) && !session.inflight.has(key)) continue;
    const { taskId, attempt } = parseAttemptKey(key);
    log.warn("worker {worker} runs task {taskId} attempt {attempt}, which is no longer current: killing it", { worker: session.name, taskId, attempt });
    session.cancel(taskId, attempt, "attempt is no longer current");
  }
  const reportedKeys = new Set(reported.keys);
  // Attempts the worker no longer runs and the database no longer holds live (a kill
  // whose report never came) free their slots.
  for (const key of inflightBefore) if (!reportedKeys.has(key) && !liveKeys.has(key)) session.inflight.delete(key);
  return live
    .filter((l) => {
      const key = attemptKey(l.taskId, l.attempt);
      return !reportedKeys.has(key) && !session.inflight.has(key) && !session.finishing.has(key) && l.ageMs > ORPHAN_MIN_AGE_MS;
    })
    .map((o) => ({ taskId: o.taskId, attempt: o.attempt, workerId: session.id }));
}
