/**
 * The worker role as one Service: keeps a stream to a coordinator, runs what it is
 * dispatched in at most `concurrency` slots, reports starts and results, heartbeats,
 * and on stop drains, waits for running tasks (then kills them), and flushes every
 * result before it hangs up. Results go through an outbox, so none is lost to a
 * dropped stream; running tasks carry on across reconnects.
 */
import { hostname } from "node:os";
import type { Config } from "../config/config.ts";
import type { Service } from "../core/lifecycle.ts";
import { VERSION } from "../core/version.ts";
import type { Logger } from "../log/logger.ts";
import { channelCredentials } from "../proto/credentials.ts";
import { createCoordinatorClient, type CancelOutput, type CoordinatorMessageOutput, type DispatchOutput, type Hello } from "../proto/index.ts";
import { IN_PROCESS_PEER, type InProcessLink } from "../proto/in-process-link.ts";
import { CoordinatorConnection } from "./coordinator-connection.ts";
import { LiveOutput } from "./live-output.ts";
import { ResultOutbox, type FinishedReport } from "./result-outbox.ts";
import { refusedReport, TaskSlots, type ProcessStarter, type RunningAttempt } from "./task-slots.ts";
import { isCancelledError, type ProcessResult } from "./process-runner.ts";
import type { WorkerMetrics } from "./worker-metrics.ts";
import { plural } from "../core/plural.ts";

/** A result counts as delivered once its stream stayed up this many heartbeats after the write... */
const CONFIRM_HEARTBEATS = 2;
/** ...and at least this long. */
const CONFIRM_MIN_MS = 1000;
// Past the grace, stop() must still fit main's shutdown slack (5 s): TERM, a short wait,
// KILL, then the flush. So tasks get less than the runner's usual 5 s TERM grace here.
/** After the grace: how long tasks have to exit on TERM before they get KILL. */
const SHUTDOWN_TERM_WAIT_MS = 1000;
/** After KILL: how long to wait for the process groups to be gone. */
const SHUTDOWN_KILL_WAIT_MS = 1500;
/** On stop, how long to try to deliver the last results (including reconnecting to do so). */
export const FLUSH_TIMEOUT_MS = 2000;
/** While flushing without a stream, redial this often instead of backing off. */
const FLUSH_REDIAL_MS = 100;
/** Why tasks still running at the end of the grace are killed. */
export const SHUTDOWN_REASON = "worker shutting down";
/** Why tasks of a session declared dead are killed. */
export const STALE_REASON = "this worker's session was declared dead; the attempt was retried elsewhere";

export type WorkerConfig = Pick<
  Config,
  "coordinators" | "grpcTls" | "token" | "name" | "concurrency" | "queues" | "heartbeatMs" | "shutdownGraceMs"
> & Partial<Pick<Config, "taskEnvPassthrough" | "workerToken" | "labels">>;

export interface WorkerDeps {
  config: WorkerConfig;
  log: Logger;
  /** Starts task processes; tests may replace it. */
  startProcess?: ProcessStarter;
  /** Counts what this worker does, for --metrics. */
  metrics?: WorkerMetrics | null;
  /** This process's coordinator, dialled in memory instead of over gRPC. */
  link?: InProcessLink | null;
}

export class WorkerService implements Service {
  readonly name = "worker";
  readonly #config: WorkerConfig;
  readonly #log: Logger;
  readonly #slots: TaskSlots;
  readonly #outbox = new ResultOutbox();
  #connection: CoordinatorConnection | null = null;
  /** Running attempts' output on its way up, ahead of their results. */
  readonly #output = new LiveOutput({
    send: (output) => this.#connection?.send({ output }) ?? false,
    ready: () => this.#connection?.ready === true,
    writable: () => this.#connection?.ready === true && !this.#connection.congested,
  });
  #heartbeatTimer: Timer | undefined;
  #stopping: Promise<void> | null = null;
  /** The id of the last Welcome, sent as previous_worker_id so a live session resumes. */
  #workerId = "";
  #draining = false;
  /** Set once stop() is past waiting for tasks: new dispatches are refused. */
  #closing = false;
  readonly #metrics: WorkerMetrics | null;
  readonly #link: InProcessLink | null;
  /** Whether a coordinator has welcomed this worker before (every later welcome is a reconnect). */
  #welcomed = false;

  constructor(deps: WorkerDeps) {
    this.#config = deps.config;
    this.#log = deps.log;
    this.#metrics = deps.metrics ?? null;
    this.#link = deps.link ?? null;
    this.#slots = new TaskSlots(deps.config.concurrency, (a, r, result) => this.#onAttemptFinished(a, r, result), deps.startProcess, deps.config.name, deps.config.taskEnvPassthrough, (taskId, attempt, stream, data, offset) =>
      this.#output.write(taskId, attempt, stream, data, offset),
    );
  }

  /** Task processes running now. */
  get runningCount(): number {
    return this.#slots.running().length;
  }

  /** Whether a coordinator has welcomed the current stream. */
  get connected(): boolean {
    return this.#connection?.ready ?? false;
  }

  /** The worker id of the current (or last) session; "" before the first Welcome. */
  get workerId(): string {
    return this.#workerId;
  }

  async start(): Promise<void> {
    if (this.#connection || this.#stopping) return;
    const c = this.#config;
    const credentials = channelCredentials({ cert: c.grpcTls.cert ?? undefined, key: c.grpcTls.key ?? undefined, ca: c.grpcTls.ca ?? undefined });
    // Fail fast on an address the channel cannot use (e.g. TLS to an IP address); clients dial lazily.
    if (!this.#link) for (const address of c.coordinators) createCoordinatorClient(address, credentials).close();
    const coordinators = this.#link ? [IN_PROCESS_PEER] : c.coordinators;
    this.#connection = new CoordinatorConnection({
      addresses: coordinators,
      link: this.#link,
      credentials,
      // A worker presents its own token when the fleet has one (--worker-token), else the shared one.
      token: c.workerToken ?? c.token ?? undefined,
      log: this.#log.getChild("connection"),
      events: {
        hello: () => this.#hello(),
        welcomed: (id) => this.#onWelcome(id),
        message: (m) => this.#onMessage(m),
        lost: () => this.#outbox.requeue(),
        declaredDead: () => this.#stopStaleAttempts(),
      },
    });
    this.#connection.start();
    this.#heartbeatTimer = setInterval(() => this.#tick(), c.heartbeatMs);
    this.#log.info("worker {name} started: {slots}, queues {queues}, coordinator {coordinators}", {
      name: c.name,
      concurrency: c.concurrency,
      slots: plural(c.concurrency, "slot"),
      queues: c.queues.join(","),
      coordinators: coordinators.join(","),
    });
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  #hello(): Hello {
    const c = this.#config;
    return {
      name: c.name,
      host: hostname(),
      concurrency: c.concurrency,
      queues: c.queues,
      version: VERSION,
      pid: process.pid,
      draining: this.#draining,
      // Finished but undelivered attempts too: a resumed session must still expect their results.
      running: [...this.#slots.running(), ...this.#outbox.undelivered()],
      previous_worker_id: this.#workerId,
      labels: workerLabels(c.labels ?? {}),
    };
  }

  #onWelcome(workerId: string): void {
    if (this.#welcomed) this.#metrics?.reconnected();
    this.#welcomed = true;
    if (this.#workerId && workerId !== this.#workerId) {
      this.#log.info("the coordinator started a new session {workerId} (the previous one, {previous}, was not resumed)", { workerId, previous: this.#workerId });
    }
    this.#workerId = workerId;
    this.#sendResults();
  }

  #onMessage(message: CoordinatorMessageOutput): void {
    if (message.body === "dispatch" && message.dispatch) this.#onDispatch(message.dispatch);
    else if (message.body === "cancel" && message.cancel) this.#onCancel(message.cancel);
    else if (message.body === "drain" && message.drain) this.#drain(`coordinator asked: ${message.drain.reason || "no reason given"}`);
    else if (message.body === "resume" && message.resume) this.#resume(message.resume.reason || "no reason given");
  }

  #onDispatch(d: DispatchOutput): void {
    const ids = { taskId: d.task_id, attempt: d.attempt };
    if (this.#outbox.has(d.task_id, d.attempt)) {
      this.#log.warn("ignored a repeated dispatch of task {taskId} attempt {attempt}: it already ran here", ids);
      return;
    }
    if (this.#closing) return this.#refuse(d, SHUTDOWN_REASON);
    // A dispatch racing our drain notice was claimed for us: running it beats burning a retry.
    if (this.#draining) this.#log.warn("task {taskId} attempt {attempt} dispatched while draining; running it", ids);
    const outcome = this.#slots.start(d);
    if (outcome.kind === "duplicate") {
      this.#log.warn("ignored a repeated dispatch of task {taskId} attempt {attempt}: it is running here", ids);
    } else if (outcome.kind === "full") {
      this.#log.warn("coordinator dispatched task {taskId} attempt {attempt} with all {slots} busy: refusing it", { ...ids, concurrency: this.#slots.capacity, slots: plural(this.#slots.capacity, "slot") });
      this.#refuse(d, `worker full: ${this.#slots.capacity === 1 ? "its one slot is" : `all ${this.#slots.capacity} slots are`} busy`);
    } else {
      // The pid comes back from a spawn thread; added now, this runs before the result is reported.
      const arrived = Date.now();
      void outcome.attempt.started.then((a) => {
        if (a.pid !== 0) this.#metrics?.spawned((a.startedAt - arrived) / 1000);
        this.#reportStarted(a);
      });
    }
  }

  #reportStarted(a: RunningAttempt): void {
    // A spawn failure (pid 0) reports only its result.
    if (a.pid === 0) return;
    // Sent before the log line is written: started_at waits for this message.
    this.#connection?.send({ started: { task_id: a.taskId, attempt: a.attempt, started_at_ms: Math.floor(a.startedAt), spawned_at_us: Math.round(a.startedAt * 1000), pid: a.pid } });
    this.#log.debug("task {taskId} attempt {attempt} started ({name}, pid {pid})", { taskId: a.taskId, attempt: a.attempt, name: a.name, pid: a.pid });
  }

  #onCancel(c: CancelOutput): void {
    const ids = { taskId: c.task_id, attempt: c.attempt, reason: c.reason };
    // Debug: the attempt's end says "cancelled" at info once the process is gone.
    if (this.#slots.cancel(c.task_id, c.attempt, c.reason)) this.#log.debug("cancelling task {taskId} attempt {attempt}: {reason}", ids);
    else this.#log.debug("ignored cancel of task {taskId} attempt {attempt}, which does not run here: {reason}", ids);
  }

  /**
   * The session was declared dead, so every attempt still running here was failed as
   * lost and handed to another worker: stop them now rather than after reconnecting,
   * which a one-way partition can delay for as long as it lasts.
   */
  #stopStaleAttempts(): void {
    const n = this.#slots.cancelAll(STALE_REASON);
    if (n > 0) this.#log.warn("this worker's session was declared dead: stopping its {running}, now retried elsewhere", { n, running: plural(n, "running task") });
  }

  #drain(why: string): void {
    if (this.#draining) return;
    this.#draining = true;
    this.#log.info("draining: taking no new tasks ({why})", { why });
    this.#sendHeartbeat();
  }

  /** Takes tasks again after a drain someone asked for; a worker on its way out stays drained. */
  #resume(why: string): void {
    if (this.#stopping) {
      this.#log.info("not resuming ({why}): this worker is stopping", { why });
    } else if (this.#draining) {
      this.#draining = false;
      this.#log.info("resumed: taking tasks again ({why})", { why });
    }
    // Always answer: the coordinator learns the worker's state from this heartbeat.
    this.#sendHeartbeat();
  }

  #refuse(d: DispatchOutput, error: string): void {
    this.#outbox.add(refusedReport(d.task_id, d.attempt, error, Date.now()));
    this.#sendResults();
  }

  #onAttemptFinished(a: RunningAttempt, report: FinishedReport, result: ProcessResult): void {
    this.#metrics?.finished(result);
    const details = { taskId: a.taskId, attempt: a.attempt, exitCode: report.exit_code ?? null, error: report.error, ms: report.finished_at_ms - report.started_at_ms };
    if (report.error && isCancelledError(report.error)) {
      this.#log.info("task {taskId} attempt {attempt} cancelled after {ms} ms: {why}", { ...details, why: report.error.replace(/^cancelled:? */, "") });
    } else if (report.error) this.#log.info("task {taskId} attempt {attempt} failed after {ms} ms: {error}", details);
    else this.#log.info("task {taskId} attempt {attempt} completed in {ms} ms (exit code {exitCode})", details);
    this.#output.end(a.taskId, a.attempt);
    this.#outbox.add(report);
    this.#sendResults();
  }

  /** Writes every waiting result on the ready stream (after a Welcome); the rest wait for the next one. */
  #sendResults(): void {
    const connection = this.#connection;
    if (!connection?.ready) return;
    // Output first: an attempt's output must reach the coordinator before its result closes the attempt.
    this.#output.flush(true);
    for (const report of this.#outbox.unsent()) {
      if (!connection.send({ finished: report })) return;
      this.#outbox.markSent(report, Date.now());
    }
  }

  #sendHeartbeat(): void {
    this.#connection?.send({ heartbeat: { running: this.#slots.running(), draining: this.#draining } });
  }

  #tick(): void {
    if (!this.#connection?.ready) return;
    this.#sendHeartbeat();
    this.#outbox.confirmOlderThan(Math.max(CONFIRM_MIN_MS, CONFIRM_HEARTBEATS * this.#config.heartbeatMs), Date.now());
    this.#sendResults();
  }

  async #shutdown(): Promise<void> {
    const connection = this.#connection;
    if (!connection) return;
    this.#drain("stopping");
    const graceMs = this.#config.shutdownGraceMs;
    if (this.#slots.size > 0) {
      this.#log.info("waiting up to {graceMs} ms for {running}", { graceMs, n: this.#slots.size, running: plural(this.#slots.size, "running task") });
      if (!(await this.#slots.idle(graceMs))) await this.#killRunning(graceMs);
    }
    this.#closing = true;
    clearInterval(this.#heartbeatTimer);
    await this.#flush(connection);
  }

  /** Stops what outlived the grace: TERM, then KILL; their results record the kill. */
  async #killRunning(graceMs: number): Promise<void> {
    const n = this.#slots.cancelAll(SHUTDOWN_REASON);
    this.#log.warn("grace of {graceMs} ms is over: stopping {tasks}", { graceMs, n, tasks: plural(n, "task") });
    if (await this.#slots.idle(SHUTDOWN_TERM_WAIT_MS)) return;
    const left = this.#slots.killAll(SHUTDOWN_REASON);
    this.#log.warn("{tasks} ignored SIGTERM: killing them", { n: left, tasks: plural(left, "task") });
    if (!(await this.#slots.idle(SHUTDOWN_KILL_WAIT_MS))) this.#log.error("{tasks} did not die after SIGKILL", { n: this.#slots.size, tasks: plural(this.#slots.size, "task") });
  }

  /** Delivers the outbox (reconnecting if need be), then ends the stream cleanly, within FLUSH_TIMEOUT_MS. */
  async #flush(connection: CoordinatorConnection): Promise<void> {
    const deadline = Date.now() + FLUSH_TIMEOUT_MS;
    while (this.#outbox.unsent().length > 0 && Date.now() < deadline) {
      // No time for the usual backoff: redial often until the deadline.
      connection.dialNow();
      if (!(await connection.whenReady(Math.min(FLUSH_REDIAL_MS, deadline - Date.now())))) continue;
      // Written on a ready stream (or the write failed): close() tells which arrived.
      this.#sendResults();
      break;
    }
    const clean = await connection.close(Math.max(0, deadline - Date.now()));
    this.#output.close();
    // A clean end means the coordinator read every result written before it.
    if (clean) this.#outbox.confirmSent();
    if (this.#outbox.size > 0) {
      this.#log.warn("{results} may not have reached the coordinator; it will fail those attempts as lost and retry them", { n: this.#outbox.size, results: plural(this.#outbox.size, "result") });
    }
    this.#log.info("worker stopped");
  }
}

/** The labels a worker advertises: hostname, os and arch, then its --labels (which may override them). */
export function workerLabels(own: Record<string, string>): Record<string, string> {
  return { hostname: hostname(), os: process.platform, arch: process.arch, ...own };
}
