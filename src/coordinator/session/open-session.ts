/**
 * Turns a worker's Hello into a session: registers it, or resumes its previous
 * session when that one is still alive (a reconnect or a coordinator restart
 * within the worker timeout). A resumed session keeps the attempts the worker
 * still runs if they are still current, and tells it to kill the others.
 */
import { attemptKey } from "../../core/attempt.ts";
import { databaseErrorMessage, isConnectionError } from "../../db/connection-errors.ts";
import { currentAttempts } from "../../db/queries/current-attempts.ts";
import { loadInflight } from "../../db/queries/load-inflight.ts";
import { markWorkerLeft } from "../../db/queries/mark-worker-left.ts";
import { openWorkerSession } from "../../db/queries/open-worker-session.ts";
import type { ConnectServerStream, HelloOutput } from "../../proto/index.ts";
import type { ConnectDeps } from "./connect-stream.ts";
import { WorkerSession } from "./worker-session.ts";

/** While the database is away, a Hello is tried again this often (the worker waits for its Welcome meanwhile). */
const HELLO_RETRY_MS = 500;

/**
 * Opens the session, waiting out a database outage: closing the stream would only
 * send the worker into reconnect backoff, so it would come back later than the
 * database does (and risk being judged silent). Null when the stream ended meanwhile.
 */
export async function openSessionWhenDatabaseAnswers(stream: ConnectServerStream, hello: HelloOutput, deps: ConnectDeps, ended: () => boolean): Promise<WorkerSession | null> {
  for (let logged = false; ; logged = true) {
    try {
      return await openSession(stream, hello, deps);
    } catch (err) {
      if (!isConnectionError(err) || ended()) throw err;
      if (!logged) deps.log.info("worker {worker} waits for the database to open its session ({error})", { worker: hello.name, error: databaseErrorMessage(err) });
      await Bun.sleep(HELLO_RETRY_MS);
      if (ended()) return null;
    }
  }
}

/** Opens (or resumes) the worker's session; null when the stream ended meanwhile (the worker gave up waiting). */
export async function openSession(stream: ConnectServerStream, hello: HelloOutput, deps: ConnectDeps): Promise<WorkerSession | null> {
  const { db, log } = deps;
  const helloAt = performance.now();
  const queues = hello.queues.length ? hello.queues : ["default"];
  const concurrency = Math.max(1, hello.concurrency);
  const { id, resumed } = await openWorkerSession(
    db,
    {
      name: hello.name || stream.getPeer(),
      host: hello.host,
      pid: hello.pid,
      queues,
      concurrency,
      version: hello.version,
      draining: hello.draining,
      labels: hello.labels ?? {},
      coordinator: deps.address,
      coordinatorId: deps.coordinatorId,
    },
    hello.previous_worker_id || null,
  );
  // Heard from now on, though not yet dispatchable: answering the Hello may outlast the worker timeout in a storm of them.
  deps.registry.beginOpening(id, helloAt);
  try {
    return await welcome(stream, hello, deps, new WorkerSession(id, hello.name, queues, concurrency, stream, log), resumed);
  } finally {
    deps.registry.endOpening(id);
  }
}

/** Loads what the worker still runs, sends the Welcome and registers the session; null when the worker hung up meanwhile. */
async function welcome(stream: ConnectServerStream, hello: HelloOutput, deps: ConnectDeps, session: WorkerSession, resumed: boolean): Promise<WorkerSession | null> {
  const { db, log } = deps;
  const id = session.id;
  session.draining = hello.draining;
  session.labels = hello.labels ?? {};
  const reported = hello.running.map((r) => ({ taskId: r.task_id, attempt: r.attempt, workerId: id }));
  // Attempts the worker still runs are kept only if they are still current for this session.
  const current = resumed ? await currentAttempts(db, reported) : new Set<string>();
  for (const t of await loadInflight(db, reported.filter((r) => current.has(attemptKey(r.taskId, r.attempt))))) {
    session.inflight.set(attemptKey(t.id, t.attempt), t);
  }
  if (!session.send({ welcome: { worker_id: id, heartbeat_ms: deps.heartbeatMs, worker_timeout_ms: deps.workerTimeoutMs } })) {
    // The worker hung up while the database was slow (e.g. restarting): never dispatch to
    // this stream. A new session is closed at once; a resumed one waits for its worker's next hello.
    if (!resumed) await markWorkerLeft(db, id);
    log.info("worker {worker} hung up before its session opened", { worker: hello.name, workerId: id });
    return null;
  }
  for (const r of reported) {
    if (!current.has(attemptKey(r.taskId, r.attempt))) session.cancel(r.taskId, r.attempt, "attempt is no longer current");
  }
  deps.registry.add(session);
  log.info("worker {worker} {how} ({concurrency} slots, queues {queues}, {kept} running kept)", {
    worker: session.name,
    workerId: id,
    how: resumed ? "reconnected" : "joined",
    concurrency: session.concurrency,
    queues: session.queues.join(","),
    kept: session.inflight.size,
  });
  deps.wake();
  return session;
}
