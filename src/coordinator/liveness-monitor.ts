/**
 * Declares workers dead when their heartbeats stop and fails their live attempts as
 * lost, so those tasks are retried. A long task on a heartbeating worker is never
 * touched: only silence kills a session.
 *
 * Silence proves something only while heartbeats could be recorded. Each pass first
 * records this coordinator's presence and the workers it hears
 * (recordCoordinatorPresence), then asks the database to judge (markDeadWorkers,
 * where the rule lives): a worker's silence counts only over time its coordinator
 * was recording. A pass that fails, or comes later than it should (a query waiting
 * out a restart), starts this coordinator's recording anew, so a database outage of
 * any length kills no live worker.
 */
import * as grpc from "@grpc/grpc-js";
import type { Service } from "../core/lifecycle.ts";
import type { Database } from "../db/client.ts";
import { databaseErrorMessage } from "../db/connection-errors.ts";
import { markDeadWorkers } from "../db/queries/mark-dead-workers.ts";
import { markCoordinatorStopped, recordCoordinatorPresence, retireCoordinators } from "../db/queries/record-coordinator-presence.ts";
import type { Logger } from "../log/logger.ts";
import type { SessionRegistry } from "./session/session-registry.ts";
import { plural } from "../core/plural.ts";

/** A coordinator silent this long (and at least three worker timeouts) counts as gone: its workers are judged without it. */
const COORDINATOR_GONE_MS_MIN = 15_000;

export interface LivenessOptions {
  /** This coordinator's id and address (its row in `coordinators`). */
  coordinatorId: string;
  address: string;
  workerTimeoutMs: number;
  /** Called when attempts were lost: due tasks may wait. */
  onLost: (declaredDead: number) => void;
}

export class LivenessMonitor implements Service {
  readonly name = "liveness-monitor";
  private timer: Timer | null = null;
  private pass: Promise<void> | null = null;
  /** The last pass failed or stalled: the next one starts recording anew. */
  private interrupted = true;
  /** When the last successful pass started (performance.now()). */
  private lastPassAt = Number.NEGATIVE_INFINITY;
  /** When passes started failing (performance.now()); null while they succeed. */
  private failingSince: number | null = null;
  private started = false;
  /** What the last successful pass recorded of each session heard (heardAt/running). */
  private recorded = new Map<string, string>();

  constructor(
    private readonly database: Database,
    private readonly registry: SessionRegistry,
    private readonly opts: LivenessOptions,
    private readonly log: Logger,
  ) {}

  /** Checks often enough to declare a silent worker dead within a fraction of the timeout. */
  get intervalMs(): number {
    return Math.max(50, Math.min(1000, Math.floor(this.opts.workerTimeoutMs / 5)));
  }

  /** A gap this long between two passes means heartbeats may have gone unrecorded. */
  get stallMs(): number {
    return Math.max(this.opts.workerTimeoutMs / 2, 2 * this.intervalMs + 500);
  }

  get goneMs(): number {
    return Math.max(3 * this.opts.workerTimeoutMs, COORDINATOR_GONE_MS_MIN);
  }

  async start(): Promise<void> {
    this.interrupted = true;
    await this.recordPresence();
    await retireCoordinators(this.database.db, this.opts.coordinatorId, this.database.kind === "pglite");
    this.started = true;
    this.timer = setInterval(() => {
      this.pass ??= this.tick()
        .catch((err) => {
          this.interrupted = true;
          this.failingSince ??= performance.now();
          this.log.warn("liveness check failed: {error}", { error: databaseErrorMessage(err) });
        })
        .finally(() => (this.pass = null));
    }, this.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.pass;
    if (!this.started) return;
    this.started = false;
    // Its workers fail over now instead of waiting out this coordinator's silence.
    await markCoordinatorStopped(this.database.db, this.opts.coordinatorId).catch((err) =>
      this.log.warn("could not record that this coordinator stopped: {error}", { error: databaseErrorMessage(err) }),
    );
  }

  /** A timer pass: record presence and the workers heard, then let the database judge. */
  private async tick(): Promise<void> {
    await this.recordPresence();
    await this.runOnce();
  }

  /** Records this coordinator's presence and the heartbeats it heard; a late pass starts recording anew. */
  async recordPresence(): Promise<void> {
    const startedAt = performance.now();
    const late = startedAt - this.lastPassAt > this.stallMs;
    const interrupted = this.interrupted || late;
    if (late && !this.interrupted) {
      // A stalled process or a slow database: heartbeats may have gone unrecorded meanwhile.
      this.log.warn("this liveness pass came {ms} ms after the last one: workers' silence counts again from now", { ms: Math.round(startedAt - this.lastPassAt) });
    }
    // Only sessions heard (or whose running count changed) since the last pass that succeeded: the
    // others' rows already say so (after a failed or late pass, every session again).
    const sessions = this.registry.heard();
    const changed = interrupted ? sessions : sessions.filter((s) => this.recorded.get(s.id) !== `${s.heardAt}/${s.running}`);
    const heard = changed.map((s) => ({ workerId: s.id, agoMs: Math.round(startedAt - s.heardAt), running: s.running }));
    await recordCoordinatorPresence(this.database.db, { id: this.opts.coordinatorId, address: this.opts.address, interrupted, heard });
    this.recorded = new Map(sessions.map((s) => [s.id, `${s.heardAt}/${s.running}`]));
    this.registry.recorded(sessions);
    if (this.failingSince !== null) {
      this.log.info("the database answers again after {ms} ms: workers' silence counts again from now", { ms: Math.round(startedAt - this.failingSince) });
      this.failingSince = null;
    }
    // A pass that itself took too long leaves a gap behind it: the next one starts anew.
    this.interrupted = performance.now() - startedAt > this.stallMs;
    this.lastPassAt = startedAt;
  }

  async runOnce(): Promise<void> {
    const dead = await markDeadWorkers(this.database.db, {
      coordinatorId: this.opts.coordinatorId,
      timeoutMs: this.opts.workerTimeoutMs,
      goneMs: this.goneMs,
      freshMs: this.stallMs,
    });
    for (const w of dead) {
      this.log.warn("worker {worker} declared dead after {timeoutMs} ms without a heartbeat; {attempts} lost", {
        worker: w.name,
        workerId: w.id,
        timeoutMs: this.opts.workerTimeoutMs,
        lost: w.lostAttempts,
        attempts: plural(w.lostAttempts, "attempt"),
      });
      // If its stream is still open here (a frozen process), end it: it must come back as a new session.
      this.registry.get(w.id)?.close(grpc.status.FAILED_PRECONDITION, "worker session was declared dead; reconnect");
    }
    if (dead.length > 0) this.opts.onLost(dead.length);
  }
}
