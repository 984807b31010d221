/**
 * Serves one worker's Connect stream: checks the token, turns the Hello into a
 * session (resuming the previous one when it is still alive), then applies
 * heartbeats, starts and results, all fenced by attempt and session.
 */
import * as grpc from "@grpc/grpc-js";
import { outcomeOf } from "../core/retry-policy.ts";
import type { Db } from "../db/client.ts";
import { attemptKey, type AttemptOutcomeWrite } from "../db/queries/apply-attempt-outcomes.ts";
import { loseAttempts, retryMessage } from "../db/queries/lose-attempts.ts";
import { currentAttempts } from "../db/queries/mark-attempts-started.ts";
import { liveAttemptsOf, markWorkerLeft, openWorkerSession, recordHeartbeat } from "../db/queries/worker-sessions.ts";
import { loadInflight } from "../db/queries/load-inflight.ts";
import type { Logger } from "../log/logger.ts";
import type { ConnectServerStream, HeartbeatOutput, HelloOutput, TaskFinishedOutput, TaskStartedOutput, WorkerMessageOutput } from "../proto/index.ts";
import type { AuthThrottle } from "../core/auth-throttle.ts";
import type { ReportWriter } from "./report-writer.ts";
import { authenticateStream } from "./stream-auth.ts";
import { capError, capTail, helloProblems } from "./hello-validation.ts";
import type { SessionRegistry } from "./session-registry.ts";
import { WorkerSession } from "./worker-session.ts";

/** A live attempt the worker does not report is lost only once it is this old, so a claim racing a heartbeat is not. */
const ORPHAN_MIN_AGE_MS = 5000;
/** A stream must say Hello within this long. */
const HELLO_TIMEOUT_MS = 10_000;

export interface ConnectDeps {
  db: Db;
  log: Logger;
  /** The token workers must present (--worker-token, else --token); null: none. */
  token: string | null;
  /** Counts failed authentications per peer address. */
  throttle?: AuthThrottle;
  heartbeatMs: number;
  /** Sent in the Welcome: how long a silent worker lives, and how long a worker waits on silence before stopping its attempts. */
  workerTimeoutMs: number;
  /** This coordinator's address, recorded on the worker row. */
  address: string;
  registry: SessionRegistry;
  reports: ReportWriter;
  /** Called when a worker joined or attempts were handed back: due tasks may wait. */
  wake: () => void;
  /** Called when a result freed a slot: a pass is due only if tasks were waiting for one. */
  slotFreed: () => void;
}

export function handleConnect(stream: ConnectServerStream, deps: ConnectDeps): void {
  const { log } = deps;
  if (!authenticateStream(stream, deps)) return;
  let session: WorkerSession | null = null;
  const early: WorkerMessageOutput[] = [];
  // Reports being written: the session ends only after they land (a drained worker's last result).
  const pending = new Set<Promise<void>>();
  const track = (p: Promise<void> | void) => {
    if (!p) return;
    const guarded = p.catch((err) => log.error("writing a report from worker {worker} failed: {error}", { worker: session?.name ?? stream.getPeer(), error: String(err) }));
    pending.add(guarded);
    void guarded.finally(() => pending.delete(guarded));
  };
  // Messages are handled one at a time per stream, in order.
  let chain = Promise.resolve();
  const helloTimer = setTimeout(() => {
    if (!session) stream.emit("error", { code: grpc.status.DEADLINE_EXCEEDED, details: "no hello" });
  }, HELLO_TIMEOUT_MS);

  stream.on("data", (msg: WorkerMessageOutput) => {
    // Acknowledged on arrival, not after the database write: the ack says "this
    // coordinator hears you", which a slow or restarting database does not change.
    if (msg.body === "heartbeat" && session && !session.closed) session.send({ heartbeat_ack: {} });
    // A start goes to the report writer on arrival: queued behind a heartbeat's database
    // round trips it would delay started_at. Nothing it does depends on that order, and
    // the attempt's result (sent after it, handled in order) still reaches the writer after it.
    if (msg.body === "started" && msg.started && session && !session.closed) return track(onStarted(session, msg.started, deps));
    chain = chain.then(async () => {
      try {
        if (session) return await handleMessage(session, msg, deps, track);
        if (msg.body !== "hello" || !msg.hello) return void early.push(msg);
        clearTimeout(helloTimer);
        if (!acceptableHello(stream, msg.hello, deps.log)) return;
        session = await openSession(stream, msg.hello, deps);
        if (!session) return;
        for (const m of early.splice(0)) await handleMessage(session, m, deps, track);
      } catch (err) {
        log.error("handling a message from worker {worker} failed: {error}", { worker: session?.name ?? stream.getPeer(), error: String(err) });
        // A session we cannot keep consistent is closed; the worker reconnects and resumes.
        stream.emit("error", { code: grpc.status.UNAVAILABLE, details: "coordinator error; reconnect" });
      }
    });
  });
  let ended = false;
  // "end", "cancelled" and "error" may each come: the session ends once.
  const finish = () => {
    clearTimeout(helloTimer);
    if (ended) return;
    ended = true;
    chain = chain.then(async () => {
      // Results sent just before the end must be applied before judging what is still in flight.
      await Promise.allSettled([...pending]);
      if (session) await endSession(session, deps);
    });
  };
  stream.on("end", () => {
    finish();
    stream.end();
  });
  stream.on("cancelled", finish);
  stream.on("error", finish);
}

/** False (and the stream ended with INVALID_ARGUMENT naming the fields) when the Hello breaks the rules. */
function acceptableHello(stream: ConnectServerStream, hello: HelloOutput, log: Logger): boolean {
  const problems = helloProblems(hello);
  if (problems.length === 0) return true;
  log.warn("refused a worker from {peer}: bad hello: {problems}", { peer: stream.getPeer(), problems: problems.join("; ") });
  stream.emit("error", { code: grpc.status.INVALID_ARGUMENT, details: `bad hello: ${problems.join("; ")}` });
  return false;
}

/** Opens (or resumes) the worker's session; null when the stream ended meanwhile (the worker gave up waiting). */
async function openSession(stream: ConnectServerStream, hello: HelloOutput, deps: ConnectDeps): Promise<WorkerSession | null> {
  const { db, log } = deps;
  const { id, resumed } = await openWorkerSession(
    db,
    {
      name: hello.name || stream.getPeer(),
      host: hello.host,
      pid: hello.pid,
      queues: hello.queues.length ? hello.queues : ["default"],
      concurrency: Math.max(1, hello.concurrency),
      version: hello.version,
      draining: hello.draining,
      coordinator: deps.address,
    },
    hello.previous_worker_id || null,
  );
  const session = new WorkerSession(id, hello.name, hello.queues.length ? hello.queues : ["default"], Math.max(1, hello.concurrency), stream, log);
  session.draining = hello.draining;
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

/**
 * Heartbeats are handled in order; starts and results go to the batched report
 * writer without waiting (so one stream's reports share statements), tracked so the
 * session's end waits for them.
 */
async function handleMessage(session: WorkerSession, msg: WorkerMessageOutput, deps: ConnectDeps, track: (p: Promise<void>) => void): Promise<void> {
  if (session.closed) return;
  if (msg.body === "heartbeat" && msg.heartbeat) return onHeartbeat(session, msg.heartbeat, deps);
  if (msg.body === "started" && msg.started) return track(onStarted(session, msg.started, deps));
  if (msg.body === "finished" && msg.finished) return track(onFinished(session, msg.finished, deps));
}

async function onHeartbeat(session: WorkerSession, hb: HeartbeatOutput, deps: ConnectDeps): Promise<void> {
  let alive: boolean;
  try {
    alive = await recordHeartbeat(deps.db, session.id, hb.running.length, hb.draining);
  } catch (err) {
    // Nothing changed: keep the stream (closing it would only send the worker into
    // reconnect backoff while the database is away); the next heartbeat tries again.
    deps.log.warn("could not record a heartbeat of {worker}: {error}", { worker: session.name, error: String((err as Error)?.message ?? err) });
    return;
  }
  if (!alive) {
    deps.log.warn("refused a heartbeat from {worker}: it was declared dead; it must reconnect as a new session", { worker: session.name, workerId: session.id });
    session.close(grpc.status.FAILED_PRECONDITION, "worker session was declared dead; reconnect");
    return;
  }
  if (hb.draining && !session.draining) {
    session.draining = true;
    deps.log.info("worker {worker} is draining", { worker: session.name });
  }
  await reconcile(session, hb.running.map((r) => attemptKey(r.task_id, r.attempt)), deps);
}

/**
 * Compares what the worker runs with what the database says it runs: attempts the
 * worker runs that are no longer current are killed; live attempts it does not have
 * (and this coordinator is not delivering) are failed as lost and retried.
 */
async function reconcile(session: WorkerSession, reportedKeys: string[], deps: ConnectDeps): Promise<void> {
  // Only attempts in flight before the query may be judged by it: a dispatch racing it is not in its snapshot.
  const inflightBefore = [...session.inflight.keys()];
  const live = await liveAttemptsOf(deps.db, session.id);
  const liveKeys = new Set(live.map((l) => attemptKey(l.taskId, l.attempt)));
  for (const key of reportedKeys) {
    if (liveKeys.has(key)) continue;
    const [taskId, attempt] = splitKey(key);
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
  deps.log.warn("{n} attempt(s) missing on worker {worker} were failed as lost", { n, worker: session.name });
  deps.wake();
}

async function onStarted(session: WorkerSession, s: TaskStartedOutput, deps: ConnectDeps): Promise<void> {
  const ref = { taskId: s.task_id, attempt: s.attempt, workerId: session.id };
  if (await deps.reports.started(ref)) {
    deps.log.info("task {taskId} attempt {attempt} running on {worker}", { taskId: s.task_id, attempt: s.attempt, worker: session.name });
    return;
  }
  // Not moved to running: a duplicate report is fine; an attempt that is no longer current must die.
  if ((await currentAttempts(deps.db, [ref])).size === 0) {
    deps.log.warn("refused start of task {taskId} attempt {attempt} on {worker}: no longer current; killing it", { taskId: s.task_id, attempt: s.attempt, worker: session.name });
    session.cancel(s.task_id, s.attempt, "attempt is no longer current");
  }
}

async function onFinished(session: WorkerSession, f: TaskFinishedOutput, deps: ConnectDeps): Promise<void> {
  const key = attemptKey(f.task_id, f.attempt);
  const task = session.inflight.get(key);
  if (!task) {
    deps.log.warn("refused result of task {taskId} attempt {attempt} from {worker}: not an attempt in flight to it", { taskId: f.task_id, attempt: f.attempt, worker: session.name });
    return;
  }
  const succeeded = f.exit_code === 0 && !f.error;
  const outcome = outcomeOf(succeeded, task);
  const error = succeeded ? null : capError(f.error || `exit code ${f.exit_code}`);
  const write: AttemptOutcomeWrite = {
    taskId: f.task_id,
    attempt: f.attempt,
    workerId: session.id,
    attemptStatus: succeeded ? "completed" : "failed",
    taskStatus: outcome.status,
    delayMs: outcome.status === "scheduled" ? outcome.delayMs : 0,
    exitCode: f.exit_code ?? null,
    error,
    stdoutTail: outputText(capTail(f.stdout_tail)),
    stderrTail: outputText(capTail(f.stderr_tail)),
    startedAt: f.started_at_ms ? new Date(f.started_at_ms) : null,
    message: succeeded ? null : retryMessage(outcome.status === "scheduled" ? outcome.delayMs : null, f.attempt, task.maxRetries, error ?? "failed"),
  };
  // The worker freed the slot before reporting: refill it while the result is written,
  // so a slot's next claim overlaps this write instead of waiting for it.
  session.inflight.delete(key);
  const writing = deps.reports.finished(write);
  session.finishing.set(key, writing);
  deps.slotFreed();
  let applied: boolean;
  try {
    applied = await writing;
  } finally {
    session.finishing.delete(key);
  }
  // A retry's run_at is new to the dispatcher, whose timer must learn it (no NOTIFY announces it).
  if (applied && outcome.status === "scheduled") deps.wake();
  if (applied) {
    deps.log.info("task {taskId} attempt {attempt} {status} on {worker}", { taskId: f.task_id, attempt: f.attempt, status: outcome.status === "scheduled" ? "failed, retry scheduled" : outcome.status, worker: session.name, exitCode: f.exit_code ?? null });
  } else {
    deps.log.warn("refused result of task {taskId} attempt {attempt} from {worker}: the attempt is no longer current", { taskId: f.task_id, attempt: f.attempt, worker: session.name });
  }
}

async function endSession(session: WorkerSession, deps: ConnectDeps): Promise<void> {
  deps.registry.remove(session);
  const wasClosed = session.closed;
  session.closed = true;
  // Results still being written keep their attempts live: settle them before judging what is left.
  await Promise.allSettled(session.finishing.values());
  // A drained worker that leaves with nothing running is gone for good; otherwise the
  // liveness monitor decides, giving the worker its timeout to reconnect.
  if (session.draining && session.inflight.size === 0 && !wasClosed) {
    await markWorkerLeft(deps.db, session.id).catch((err) => deps.log.warn("recording that {worker} left failed: {error}", { worker: session.name, error: String(err) }));
    deps.log.info("worker {worker} left after draining", { worker: session.name });
  } else {
    deps.log.info("worker {worker} disconnected ({n} attempts in flight)", { worker: session.name, n: session.inflight.size });
  }
}

/** Output tails as text: UTF-8 with replacement characters, and no NUL (PostgreSQL text cannot hold it). */
export function outputText(bytes: Buffer | Uint8Array | undefined): string | null {
  if (!bytes || bytes.length === 0) return null;
  return new TextDecoder("utf-8", { fatal: false }).decode(bytes).replaceAll("\u0000", "\uFFFD");
}

function splitKey(key: string): [string, number] {
  const i = key.lastIndexOf(":");
  return [key.slice(0, i), Number(key.slice(i + 1))];
}
