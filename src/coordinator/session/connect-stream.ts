/**
 * Serves one worker's Connect stream: checks the token, keeps the stream's messages
 * in order, turns the Hello into a session (open-session.ts), hands heartbeats to
 * heartbeats.ts and starts and results to reports.ts, and ends the session once
 * when the stream ends. Results are fenced by attempt and session in
 * db/queries/record-attempt-outcomes.ts; the checks on this side only exit early.
 */
import * as grpc from "@grpc/grpc-js";
import { coerceError } from "../../core/errors.ts";
import { plural } from "../../core/plural.ts";
import type { Db } from "../../db/client.ts";
import { databaseErrorMessage } from "../../db/connection-errors.ts";
import { markWorkerLeft } from "../../db/queries/mark-worker-left.ts";
import type { Logger } from "../../log/logger.ts";
import type { ConnectServerStream, WorkerMessageOutput } from "../../proto/index.ts";
import type { OutputWriter } from "../output-writer.ts";
import type { ReportWriter } from "../report-writer.ts";
import type { AuthThrottle } from "../../core/auth-throttle.ts";
import { acceptableHello } from "./hello-validation.ts";
import { onHeartbeat, type HeartbeatBatch } from "./heartbeats.ts";
import { authenticateStream } from "./stream-auth.ts";
import { openSessionWhenDatabaseAnswers } from "./open-session.ts";
import { onFinished, onOutput, onStarted } from "./reports.ts";
import type { SessionRegistry } from "./session-registry.ts";
import type { WorkerSession } from "./worker-session.ts";

/** A stream must say Hello within this long. */
const HELLO_TIMEOUT_MS = 10_000;

export interface ConnectDeps {
  db: Db;
  log: Logger;
  /** The token workers must present (--worker-token, else --token); null: none. */
  token: string | null;
  heartbeatMs: number;
  /** Sent in the Welcome: how long a silent worker lives, and how long a worker waits on silence before stopping its attempts. */
  workerTimeoutMs: number;
  /** Counts failed authentications per peer address. */
  throttle?: AuthThrottle;
  /** This coordinator's address, recorded on the worker row. */
  address: string;
  /** This coordinator's id (its row in `coordinators`), recorded on the worker row. */
  coordinatorId: string;
  registry: SessionRegistry;
  reports: ReportWriter;
  /** Writes live output (batched, bounded). */
  output: OutputWriter;
  /** Called when a worker joined or attempts were handed back: due tasks may wait. */
  wake: () => void;
  /** Called when a result freed a slot: a pass is due only if tasks were waiting for one. */
  slotFreed: () => void;
  /** Compares heartbeats with the database, batched per heartbeat interval. */
  heartbeats: HeartbeatBatch;
}

export function handleConnect(stream: ConnectServerStream, deps: ConnectDeps): void {
  if (!authenticateStream(stream, deps)) return;
  new ConnectStream(stream, deps).listen();
}

/** One stream's state: its session once the Hello is in, and the reports still being written. */
class ConnectStream {
  private session: WorkerSession | null = null;
  /** Messages that came before the Hello, handled once the session is open. */
  private readonly early: WorkerMessageOutput[] = [];
  /** Reports being written: the session ends only after they land (a drained worker's last result). */
  private readonly pending = new Set<Promise<void>>();
  /** Messages are handled one at a time per stream, in order. */
  private chain = Promise.resolve();
  private ended = false;
  private readonly helloTimer: Timer;

  constructor(
    private readonly stream: ConnectServerStream,
    private readonly deps: ConnectDeps,
  ) {
    this.helloTimer = setTimeout(() => {
      if (!this.session) stream.emit("error", { code: grpc.status.DEADLINE_EXCEEDED, details: "no hello" });
    }, HELLO_TIMEOUT_MS);
  }

  listen(): void {
    this.stream.on("data", (msg: WorkerMessageOutput) => this.onData(msg));
    // "end", "cancelled" and "error" may each come: the session ends once.
    this.stream.on("end", () => {
      this.finish();
      this.stream.end();
    });
    this.stream.on("cancelled", () => this.finish());
    this.stream.on("error", () => this.finish());
  }

  private get who(): string {
    return this.session?.name ?? this.stream.getPeer();
  }

  private onData(msg: WorkerMessageOutput): void {
    const session = this.session;
    // Any message proves the worker lives; the liveness monitor records it even while heartbeat writes lag.
    if (session) session.heardAt = performance.now();
    // Acknowledged on arrival, not after the database write: the ack says "this
    // coordinator hears you", which a slow or restarting database does not change.
    if (msg.body === "heartbeat" && session && !session.closed) session.send({ heartbeat_ack: {} });
    // A start goes to the report writer on arrival: queued behind a heartbeat's database
    // round trips it would delay started_at. Nothing it does depends on that order, and
    // the attempt's result (sent after it, handled in order) still reaches the writer after it.
    if (msg.body === "started" && msg.started && session && !session.closed) return this.track(onStarted(session, msg.started, this.deps));
    this.chain = this.chain.then(async () => {
      try {
        if (this.session) return await this.handle(this.session, msg);
        if (msg.body !== "hello" || !msg.hello) return void this.early.push(msg);
        clearTimeout(this.helloTimer);
        if (!acceptableHello(this.stream, msg.hello, this.deps.log)) return;
        this.session = await openSessionWhenDatabaseAnswers(this.stream, msg.hello, this.deps, () => this.ended);
        if (!this.session) return;
        for (const m of this.early.splice(0)) await this.handle(this.session, m);
      } catch (err) {
        this.deps.log.error("handling a message from worker {worker} failed: {error}", { worker: this.who, error: databaseErrorMessage(err) });
        // A session we cannot keep consistent is closed; the worker reconnects and resumes.
        this.stream.emit("error", { code: grpc.status.UNAVAILABLE, details: "coordinator error; reconnect" });
      }
    });
  }

  /**
   * Heartbeats are handled in order; starts and results go to the batched report
   * writer without waiting (so one stream's reports share statements), tracked so the
   * session's end waits for them.
   */
  private async handle(session: WorkerSession, msg: WorkerMessageOutput): Promise<void> {
    if (session.closed) return;
    if (msg.body === "heartbeat" && msg.heartbeat) return onHeartbeat(session, msg.heartbeat, this.deps);
    if (msg.body === "started" && msg.started) return this.track(onStarted(session, msg.started, this.deps));
    if (msg.body === "output" && msg.output) return this.track(onOutput(session, msg.output, this.deps));
    if (msg.body === "finished" && msg.finished) return this.track(onFinished(session, msg.finished, this.deps));
  }

  private track(p: Promise<void>): void {
    const guarded = p.catch((err) => this.deps.log.error("writing a report from worker {worker} failed: {error}", { worker: this.who, error: coerceError(err).message }));
    this.pending.add(guarded);
    void guarded.finally(() => this.pending.delete(guarded));
  }

  private finish(): void {
    clearTimeout(this.helloTimer);
    if (this.ended) return;
    this.ended = true;
    this.chain = this.chain.then(async () => {
      // Results sent just before the end must be applied before judging what is still in flight.
      await Promise.allSettled([...this.pending]);
      if (this.session) await endSession(this.session, this.deps);
    });
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
    await markWorkerLeft(deps.db, session.id).catch((err) => deps.log.warn("recording that {worker} left failed: {error}", { worker: session.name, error: coerceError(err).message }));
    deps.log.info("worker {worker} left after draining", { worker: session.name });
  } else {
    deps.log.info("worker {worker} disconnected ({attempts} in flight)", { worker: session.name, n: session.inflight.size, attempts: plural(session.inflight.size, "attempt") });
  }
}
