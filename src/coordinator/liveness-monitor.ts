/**
 * Declares workers dead when their heartbeats stop (judged by the database's clock)
 * and fails their live attempts as lost, so those tasks are retried. A long task on
 * a heartbeating worker is never touched: only silence kills a session.
 *
 * Silence proves something only while heartbeats could be recorded: after the
 * database was unreachable, no worker is declared dead until it has answered for a
 * whole worker timeout again. Otherwise a database restart longer than the timeout
 * would kill every session (and retry every running task) the moment it came back,
 * before any heartbeat could land.
 */
import { coerceError } from "../core/errors.ts";
import * as grpc from "@grpc/grpc-js";
import type { Service } from "../core/lifecycle.ts";
import type { Db } from "../db/client.ts";
import { markDeadWorkers } from "../db/queries/mark-dead-workers.ts";
import { pingDatabase } from "../db/queries/ping-database.ts";
import type { Logger } from "../log/logger.ts";
import type { SessionRegistry } from "./session/session-registry.ts";

export class LivenessMonitor implements Service {
  readonly name = "liveness-monitor";
  private timer: Timer | null = null;
  private pass: Promise<void> | null = null;
  /** Since when (ms) the database has answered without a long gap; null: it just failed or stalled. */
  private answeringSince: number | null = Number.NEGATIVE_INFINITY;
  /** When the database last answered a pass (ms). */
  private lastAnswerAt = Date.now();

  constructor(
    private readonly db: Db,
    private readonly registry: SessionRegistry,
    private readonly workerTimeoutMs: number,
    private readonly onLost: () => void,
    private readonly log: Logger,
  ) {}

  /** Checks often enough to declare a silent worker dead within a fraction of the timeout. */
  get intervalMs(): number {
    return Math.max(50, Math.min(1000, Math.floor(this.workerTimeoutMs / 5)));
  }

  /** A gap this long between two answers of the database means heartbeats could not be recorded. */
  get stallMs(): number {
    return Math.max(this.workerTimeoutMs / 2, 2 * this.intervalMs + 500);
  }

  async start(): Promise<void> {
    // A fresh start judges at once (as before any outage); only a failure or stall starts a wait.
    this.answeringSince = Number.NEGATIVE_INFINITY;
    this.lastAnswerAt = Date.now();
    this.timer = setInterval(() => {
      this.pass ??= this.tick()
        .catch((err) => {
          this.answeringSince = null;
          this.log.warn("liveness check failed: {error}", { error: coerceError(err).message });
        })
        .finally(() => (this.pass = null));
    }, this.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.pass;
  }

  /**
   * A timer pass: declares deaths only once the database has answered for a whole
   * worker timeout. A pass that fails, or a database silent for longer than a pass
   * should ever take (a query waiting out a restart), starts that wait again.
   */
  private async tick(): Promise<void> {
    await pingDatabase(this.db);
    const now = Date.now();
    if (now - this.lastAnswerAt > this.stallMs) this.answeringSince = null;
    this.lastAnswerAt = now;
    this.answeringSince ??= now;
    if (now - this.answeringSince < this.workerTimeoutMs) return;
    await this.runOnce();
    this.lastAnswerAt = Date.now();
  }

  async runOnce(): Promise<void> {
    const dead = await markDeadWorkers(this.db, this.workerTimeoutMs);
    for (const w of dead) {
      this.log.warn("worker {worker} declared dead after {timeoutMs} ms without a heartbeat; {lost} attempt(s) lost", {
        worker: w.name,
        workerId: w.id,
        timeoutMs: this.workerTimeoutMs,
        lost: w.lostAttempts,
      });
      // If its stream is still open here (a frozen process), end it: it must come back as a new session.
      this.registry.get(w.id)?.close(grpc.status.FAILED_PRECONDITION, "worker session was declared dead; reconnect");
    }
    if (dead.length > 0) this.onLost();
  }
}
