/**
 * The claim loop: fills connected workers' free slots with due tasks. It wakes on
 * NOTIFY (a task was submitted), on freed slots when tasks were waiting for one, on
 * a timer set to the nearest future run_at (by the database's clock), and on a slow
 * poll as a fallback, so a due task starts within milliseconds without the database
 * being hammered. A wake during a pass's closing lookup starts the next claim at once.
 */
import type { Service } from "../core/lifecycle.ts";
import { WakeableLoop, type NextPass } from "../core/wakeable-loop.ts";
import type { Database } from "../db/client.ts";
import { WAKE_CHANNEL } from "../db/channels.ts";
import { claimDueTasks } from "../db/queries/claim-due-tasks.ts";
import type { ClaimedTask } from "../core/attempt.ts";
import { loseAttempts } from "../db/queries/lose-attempts.ts";
import { msUntilNextDue } from "../db/queries/next-due.ts";
import type { Logger } from "../log/logger.ts";
import type { CoordinatorMetrics } from "./coordinator-metrics.ts";
import type { SessionRegistry } from "./session/session-registry.ts";

/** The fallback poll: catches anything a lost NOTIFY would have announced. */
export const POLL_MS = 2000;
/** Most tasks claimed for one worker in one statement. */
const MAX_CLAIM_BATCH = 100;
/** When due tasks exist but none could be claimed (another coordinator holds them), look again this soon. */
const CONTENDED_RETRY_MS = 25;
/** After a database error, wait this long before the next pass. */
const ERROR_BACKOFF_MS = 500;

export class Dispatcher implements Service {
  readonly name = "dispatcher";
  private readonly loop: WakeableLoop;
  private unlisten: (() => Promise<void>) | null = null;
  /**
   * Whether the last pass may have left due tasks unclaimed for want of free slots
   * (a worker was full, or a claim came back full). Only then does a freed slot call
   * for a pass: otherwise every result would cost a claim and a lookup, and a NOTIFY
   * arriving meanwhile would wait for them.
   */
  private waitingForSlots = true;
  /** When the current pass started claiming (performance.now()). */
  private passStartedAt = 0;

  constructor(
    private readonly database: Database,
    private readonly registry: SessionRegistry,
    private readonly log: Logger,
    private readonly metrics: CoordinatorMetrics | null = null,
  ) {
    // A NOTIFY during the next-due lookup starts the next claim at once rather than after it.
    this.loop = new WakeableLoop(async () => ((await this.runOnce()) ? "again" : this.loop.raceWake(() => this.nextPass())), log, {
      what: "claim pass",
      errorBackoffMs: ERROR_BACKOFF_MS,
    });
  }

  async start(): Promise<void> {
    this.unlisten = await this.database.listen(WAKE_CHANNEL, () => this.wake());
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.unlisten?.().catch(() => {});
    this.unlisten = null;
    await this.loop.stop();
  }

  /** Asks for a claim pass now; calls during a pass coalesce into one more pass. */
  wake(): void {
    this.loop.wake();
  }

  /** A result freed a slot: claims again if due tasks may be waiting for one. */
  slotFreed(): void {
    if (this.waitingForSlots) this.wake();
  }

  /** One pass over workers with free slots; true when a claim came back full (more may be due). */
  async runOnce(): Promise<boolean> {
    let more = false;
    this.passStartedAt = performance.now();
    this.waitingForSlots = this.registry.all().some((s) => s.free === 0 && !s.draining);
    for (const s of this.registry.withFreeSlots()) {
      const limit = Math.min(s.free, MAX_CLAIM_BATCH);
      if (limit <= 0) continue;
      const claimed = await claimDueTasks(this.database.db, { workerId: s.id, workerName: s.name, queues: s.queues, limit, labels: s.labels });
      if (claimed.length === 0) continue;
      const unsent = s.dispatch(claimed);
      if (unsent.length > 0) {
        // The stream went away between claim and send: those attempts never reached a worker.
        const refs = unsent.map((t) => ({ taskId: t.id, attempt: t.attempt, workerId: s.id }));
        await this.database.db.transaction((tx) => loseAttempts(tx, { attempts: refs }, `could not deliver to worker ${s.name}`));
      }
      for (const t of claimed) if (!unsent.includes(t)) this.log.info("task {taskId} attempt {attempt} dispatched to {worker}", { taskId: t.id, attempt: t.attempt, worker: s.name });
      this.count(claimed, unsent);
      if (claimed.length === limit) more = true;
    }
    if (more) this.waitingForSlots = true;
    return more;
  }

  private count(claimed: ClaimedTask[], unsent: ClaimedTask[]): void {
    const m = this.metrics;
    if (!m) return;
    const now = Date.now();
    for (const t of claimed) {
      m.claims.inc({ queue: t.queue });
      const sent = !unsent.includes(t);
      m.dispatches.inc({ queue: t.queue, result: sent ? "sent" : "unsent" });
      if (sent) m.dispatchLag.observe({ queue: t.queue }, Math.max(0, now - t.runAt.getTime()) / 1000);
    }
  }

  /**
   * When to look again: at the nearest future run_at, now if a task fell due while
   * this pass claimed, soon if due tasks are contended, else the poll.
   */
  private async nextPass(): Promise<NextPass> {
    const free = this.registry.withFreeSlots();
    if (free.length === 0) return POLL_MS;
    const queues = [...new Set(free.flatMap((s) => s.queues))];
    const sentAt = performance.now();
    const ms = await msUntilNextDue(this.database.db, queues);
    if (ms === null) return POLL_MS;
    // Due for less time than has passed since the claim looked: it fell due after, so
    // claim it now. Due for longer: another coordinator holds it; look again soon.
    if (ms <= 0) return -ms < sentAt - this.passStartedAt ? "again" : CONTENDED_RETRY_MS;
    // The answer is as old as its round trip, which is counted off. +1 ms: a timer may
    // fire a hair early, and the claim never takes a task before its run_at.
    return Math.min(POLL_MS, Math.max(0, Math.ceil(ms - (performance.now() - sentAt))) + 1);
  }
}
