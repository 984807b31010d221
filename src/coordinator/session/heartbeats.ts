/**
 * A session's heartbeats: recorded by the database's clock (a session declared
 * dead is refused and must reconnect as a new one), and compared with what the
 * database says the worker runs: attempts it runs that are no longer current are
 * killed; live attempts it no longer has (orphans) are failed as lost and retried.
 */
import * as grpc from "@grpc/grpc-js";
import { attemptKey, parseAttemptKey } from "../../core/attempt.ts";
import { plural } from "../../core/plural.ts";
import { databaseErrorMessage, isConnectionError } from "../../db/connection-errors.ts";
import { listLiveAttempts } from "../../db/queries/list-live-attempts.ts";
import { loseAttempts } from "../../db/queries/lose-attempts.ts";
import { recordHeartbeat } from "../../db/queries/record-heartbeat.ts";
import type { HeartbeatOutput } from "../../proto/index.ts";
import type { ConnectDeps } from "./connect-stream.ts";
import type { WorkerSession } from "./worker-session.ts";

/** A live attempt the worker does not report is lost only once it is this old, so a claim racing a heartbeat is not. */
const ORPHAN_MIN_AGE_MS = 5000;

export async function onHeartbeat(session: WorkerSession, hb: HeartbeatOutput, deps: ConnectDeps): Promise<void> {
  // Before the database hears of it: once the workers table says "draining", no new dispatch may follow.
  const draining = session.drainingFromHeartbeat(hb.draining);
  if (draining !== session.draining) {
    session.draining = draining;
    deps.log.info(draining ? "worker {worker} is draining" : "worker {worker} resumed", { worker: session.name });
    if (!draining) deps.wake();
  }
  let alive: boolean;
  try {
    alive = await recordHeartbeat(deps.db, session.id, hb.running.length, draining);
  } catch (err) {
    // Nothing changed: keep the stream (closing it would only send the worker into
    // reconnect backoff while the database is away); the next heartbeat tries again.
    deps.log.warn("could not record a heartbeat of {worker}: {error}", { worker: session.name, error: databaseErrorMessage(err) });
    return;
  }
  if (!alive) {
    deps.log.warn("refused a heartbeat from {worker}: it was declared dead; it must reconnect as a new session", { worker: session.name, workerId: session.id });
    session.close(grpc.status.FAILED_PRECONDITION, "worker session was declared dead; reconnect");
    return;
  }
  try {
    await reconcile(session, hb.running.map((r) => attemptKey(r.task_id, r.attempt)), deps);
  } catch (err) {
    // The database went away mid-heartbeat: the next heartbeat reconciles. Only other errors end the session.
    if (!isConnectionError(err)) throw err;
    deps.log.warn("could not reconcile the attempts of {worker}: {error}", { worker: session.name, error: databaseErrorMessage(err) });
  }
}

/** Compares what the worker runs (`reportedKeys`) with the live attempts the database holds for its session. */
async function reconcile(session: WorkerSession, reportedKeys: string[], deps: ConnectDeps): Promise<void> {
  // Only attempts in flight before the query may be judged by it: a dispatch racing it is not in its snapshot.
  const inflightBefore = [...session.inflight.keys()];
  const live = await listLiveAttempts(deps.db, session.id);
  const liveKeys = new Set(live.map((l) => attemptKey(l.taskId, l.attempt)));
  for (const key of reportedKeys) {
    // Asked to stop already (a user's cancel, a timeout): the kill is on its way, nothing is stale.
    if (liveKeys.has(key) || session.stopping.has(key)) continue;
    const { taskId, attempt } = parseAttemptKey(key);
    deps.log.warn("worker {worker} runs task {taskId} attempt {attempt}, which is no longer current: killing it", { worker: session.name, taskId, attempt });
    session.cancel(taskId, attempt, "attempt is no longer current");
  }
  const reported = new Set(reportedKeys);
  // Attempts the worker no longer runs and the database no longer holds live (a kill
  // whose report never came) free their slots.
  for (const key of inflightBefore) if (!reported.has(key) && !liveKeys.has(key)) session.inflight.delete(key);
  const orphans = live.filter((l) => {
    const key = attemptKey(l.taskId, l.attempt);
    return !reported.has(key) && !session.inflight.has(key) && !session.finishing.has(key) && l.ageMs > ORPHAN_MIN_AGE_MS;
  });
  if (orphans.length === 0) return;
  const refs = orphans.map((o) => ({ taskId: o.taskId, attempt: o.attempt, workerId: session.id }));
  const n = await deps.db.transaction((tx) => loseAttempts(tx, { attempts: refs }, `worker ${session.name} no longer had the attempt`));
  deps.log.warn("{attempts} missing on worker {worker} failed as lost", { n, attempts: plural(n, "attempt"), worker: session.name });
  deps.wake();
}
