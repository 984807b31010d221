/**
 * Declares workers dead when their heartbeats stop (judged by the database's clock)
 * and fails their live attempts as lost, so those tasks are retried. A long task on
 * a heartbeating worker is never touched: only silence kills a session.
 */
import * as grpc from "@grpc/grpc-js";
import type { Service } from "../core/lifecycle.ts";
import type { Db } from "../db/client.ts";
import { markDeadWorkers } from "../db/queries/mark-dead-workers.ts";
import type { Logger } from "../log/logger.ts";
import type { SessionRegistry } from "./session-registry.ts";

export class LivenessMonitor implements Service {
  readonly name = "liveness-monitor";
  private timer: Timer | null = null;
  private pass: Promise<void> | null = null;

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

  async start(): Promise<void> {
    this.timer = setInterval(() => {
      this.pass ??= this.runOnce()
        .catch((err) => this.log.warn("liveness check failed: {error}", { error: String((err as Error)?.message ?? err) }))
        .finally(() => (this.pass = null));
    }, this.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.pass;
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
