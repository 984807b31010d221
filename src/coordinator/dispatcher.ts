/**
 * The claim loop: fills connected workers' free slots with due tasks. It wakes on
 * NOTIFY (a task was submitted), directly after a submit of its own process
 * (core/submit-wake.ts, whose NOTIFY echo it then skips), on freed slots when tasks were waiting for one, on
 * a timer set to the nearest future run_at (by the database's clock), and on a slow
 * poll as a fallback, so a due task starts within milliseconds without the database
 * being hammered. A wake during a pass's closing lookup starts the next claim at once.
 */
import { coerceError } from "../core/errors.ts";
import type { Service } from "../core/lifecycle.ts";
import { WakeableLoop, type NextPass } from "../core/wakeable-loop.ts";
import type { Database } from "../db/client.ts";
import { parseWake, WAKE_CHANNEL } from "../db/channels.ts";
import type { SubmitClaim, SubmitClaimer, SubmitWake } from "../core/submit-wake.ts";
import type { Executor } from "../db/sql.ts";
import { claimDueTasks, claimDueTasksForSlots, claimDueTasksWithin, type SlotClaim } from "../db/queries/claim-due-tasks.ts";
import { hasDuePlacedTasks } from "../db/queries/has-due-placed-tasks.ts";
import type { ClaimedTask } from "../core/attempt.ts";
import { loseAttempts } from "../db/queries/lose-attempts.ts";
import { msUntilNextDue } from "../db/queries/next-due.ts";
import type { Logger } from "../log/logger.ts";
import type { CoordinatorMetrics } from "./coordinator-metrics.ts";
import type { SessionRegistry } from "./session/session-registry.ts";
import type { WorkerSession } from "./session/worker-session.ts";

/** The fallback poll: catches anything a lost NOTIFY would have announced. */
export const POLL_MS = 2000;
/** Most tasks claimed in one statement (for one worker or many). */
const MAX_CLAIM_BATCH = 256;
/** When due tasks exist but none could be claimed (another coordinator holds them), look again this soon. */
const CONTENDED_RETRY_MS = 25;
/** After a database error, wait this long before the next pass. */
const ERROR_BACKOFF_MS = 500;

export class Dispatcher implements Service, SubmitClaimer<Executor> {
  readonly name = "dispatcher";
  private readonly loop: WakeableLoop;
  private unlisten: (() => Promise<void>) | null = null;
  private unsubscribe: (() => void) | null = null;
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
    /** This process's submits, when it runs the scheduler too: they wake the loop without a NOTIFY round trip. */
    private readonly submits: SubmitWake<Executor> | null = null,
  ) {
    // A NOTIFY during the next-due lookup starts the next claim at once rather than after it.
    this.loop = new WakeableLoop(async () => ((await this.runOnce()) ? "again" : this.loop.raceWake(() => this.nextPass())), log, {
      what: "claim pass",
      errorBackoffMs: ERROR_BACKOFF_MS,
    });
  }

  async start(): Promise<void> {
    this.unlisten = await this.database.listen(WAKE_CHANNEL, (payload) => this.onWakeUp(payload));
    this.unsubscribe = this.submits?.subscribe(() => this.wake()) ?? null;
    if (this.submits) this.submits.claimer = this;
    this.loop.start();
  }

  async stop(): Promise<void> {
    if (this.submits?.claimer === this) this.submits.claimer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    await this.unlisten?.().catch(() => {});
    this.unlisten = null;
    await this.loop.stop();
  }

  /** Asks for a claim pass now; calls during a pass coalesce into one more pass. */
  wake(): void {
    this.loop.wake();
  }

  /**
   * The claim of a submit's transaction (core/submit-wake.ts): the ordinary claim for
   * one local worker serving `queue`, its slots reserved so no pass fills them
   * meanwhile. It may take older or higher-priority tasks than the new ones, as any
   * claim would. The tasks go out only once the transaction has committed.
   */
  async claimWithin(tx: Executor, queue: string, count: number): Promise<SubmitClaim | null> {
    const s = this.freeSessionFor(queue);
    if (!s) return null;
    const limit = claimLimit(Math.min(s.free, count));
    s.reserved += limit;
    let held = true;
    const release = () => {
      if (held) s.reserved -= limit;
      held = false;
    };
    try {
      const claimed = await claimDueTasksWithin(tx, { workerId: s.id, workerName: s.name, queues: s.queues, limit, labels: s.labels });
      // Errors are the dispatcher's to log: the submit itself committed and stands.
      const deliver = () => (release(), this.deliver(s, claimed).catch((err) => this.log.warn("handing over tasks claimed by a submit failed: {error}", { error: coerceError(err).message })));
      return { full: claimed.length === limit, taskIds: new Set(claimed.map((t) => t.id)), release, deliver };
    } catch (err) {
      release();
      throw err;
    }
  }

  hasFreeSlot(queue: string): boolean {
    return this.freeSessionFor(queue) !== undefined;
  }

  private freeSessionFor(queue: string): WorkerSession | undefined {
    return this.registry.withFreeSlots().find((x) => x.queues.includes(queue));
  }

  /**
   * A NOTIFY on the wake channel. One from this process's own submit is skipped: that
   * submit woke the loop after its commit, or claimed in its own transaction every task
   * a pass would find (core/submit-wake.ts).
   */
  private onWakeUp(payload: string): void {
    if (this.submits && parseWake(payload).origin === this.submits.origin) return;
    this.wake();
  }

  /** A result freed a slot: claims again if due tasks may be waiting for one. */
  slotFreed(): void {
    if (this.waitingForSlots) this.wake();
  }

  /**
   * One pass over workers with free slots; true when a claim came back full (more may
   * be due). Sessions with the same queues share claims (claimSlots), so a pass costs
   * a few statements whatever the number of workers.
   */
  async runOnce(): Promise<boolean> {
    let more = false;
    this.passStartedAt = performance.now();
    this.waitingForSlots = this.registry.all().some((s) => s.free === 0 && !s.draining);
    for (const group of groupByQueues(this.registry.withFreeSlots())) {
      if (await this.claimGroup(group)) more = true;
    }
    if (more) this.waitingForSlots = true;
    return more;
  }

  /**
   * Fills the free slots of sessions with the same queues; true when a claim came back
   * full. One session, or placed tasks due (a selector or a pin, docs/placement.md):
   * a claim per session, with its labels and name. Otherwise claims shared by all.
   */
  private async claimGroup(group: WorkerSession[]): Promise<boolean> {
    if (group.length === 1 || (await hasDuePlacedTasks(this.database.db, group[0]!.queues))) {
      let more = false;
      for (const s of group) if (await this.claimForSession(s)) more = true;
      return more;
    }
    let more = false;
    const slots = fairSlots(group);
    const release = reserve(slots);
    try {
      for (const chunk of claimChunks(slots)) {
        // A claim that came back short found every due task of these queues: the next would find none.
        if (!(await this.claimSlots(chunk))) break;
        more = true;
      }
    } finally {
      release();
    }
    return more;
  }

  /** One claim for one session's free slots, placed tasks included; true when it came back full. */
  private async claimForSession(s: WorkerSession): Promise<boolean> {
    const limit = claimLimit(s.free);
    if (limit <= 0) return false;
    const release = reserve(new Array<WorkerSession>(limit).fill(s));
    let claimed: ClaimedTask[];
    try {
      claimed = await claimDueTasks(this.database.db, { workerId: s.id, workerName: s.name, queues: s.queues, limit, labels: s.labels });
    } finally {
      release();
    }
    if (claimed.length > 0) await this.deliver(s, claimed);
    return claimed.length === limit;
  }

  /** One claim for these slots, dispatched to their sessions; true when it came back full. */
  private async claimSlots(slots: WorkerSession[]): Promise<boolean> {
    const claimed = await claimDueTasksForSlots(this.database.db, {
      queues: slots[0]!.queues,
      slots: slots.map((s) => ({ workerId: s.id, workerName: s.name })),
    });
    const bySession = new Map<WorkerSession, SlotClaim[]>();
    const byId = new Map(slots.map((s) => [s.id, s]));
    for (const t of claimed) {
      const s = byId.get(t.workerId)!;
      bySession.set(s, [...(bySession.get(s) ?? []), t]);
    }
    for (const [s, tasks] of bySession) await this.deliver(s, tasks);
    return claimed.length === slots.length;
  }

  /** Sends claimed tasks to their session; those it could not send are lost at once (never reached a worker). */
  private async deliver(s: WorkerSession, tasks: ClaimedTask[]): Promise<void> {
    const unsent = s.dispatch(tasks);
    if (unsent.length > 0) {
      // The stream went away between claim and send: those attempts never reached a worker.
      const refs = unsent.map((t) => ({ taskId: t.id, attempt: t.attempt, workerId: s.id }));
      await this.database.db.transaction((tx) => loseAttempts(tx, { attempts: refs }, `could not deliver to worker ${s.name}`));
    }
    for (const t of tasks) if (!unsent.includes(t)) this.log.debug("task {taskId} attempt {attempt} dispatched to {worker}", { taskId: t.id, attempt: t.attempt, worker: s.name });
    this.count(tasks, unsent);
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

/**
 * Holds the slots (one entry per slot) while a pass claims for them, so a submit's own
 * claim (claimWithin) cannot fill them meanwhile and the worker get more than it has
 * room for; returns the release. Held slots that the claim fills count as in flight
 * once delivered, so releasing after the delivery double-counts them only briefly.
 */
function reserve(slots: WorkerSession[]): () => void {
  for (const s of slots) s.reserved++;
  let held = true;
  return () => {
    if (held) for (const s of slots) s.reserved--;
    held = false;
  };
}

/** Sessions with the same queues (in the order given), which one claim can serve together. */
export function groupByQueues(sessions: WorkerSession[]): WorkerSession[][] {
  const groups = new Map<string, WorkerSession[]>();
  for (const s of sessions) {
    const key = [...s.queues].sort().join("\n");
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  return [...groups.values()];
}

/**
 * The free slots of sessions, one per session per round, in the order given (the
 * registry rotates it every pass): when fewer tasks are due than slots, each worker
 * gets one before any gets a second, so a saturated fleet is served evenly.
 */
export function fairSlots(sessions: WorkerSession[]): WorkerSession[] {
  const out: WorkerSession[] = [];
  const left = new Map(sessions.map((s) => [s, s.free]));
  for (let round = 0; left.size > 0; round++) {
    for (const [s, n] of left) {
      if (n <= round) left.delete(s);
      else out.push(s);
    }
  }
  return out;
}

/** A claim limit for `free` slots: a power of two up to MAX_CLAIM_BATCH, for the same reason as claimChunks. */
export function claimLimit(free: number): number {
  return free <= 0 ? 0 : Math.min(MAX_CLAIM_BATCH, 2 ** Math.floor(Math.log2(free)));
}

/**
 * Slots cut into claims of at most MAX_CLAIM_BATCH, each a power of two: the claim's
 * limit is a literal in its text (claim-due-tasks.ts: limitSql), so this keeps the
 * prepared statements per connection few.
 */
export function claimChunks<T>(slots: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < slots.length; ) {
    const n = Math.min(MAX_CLAIM_BATCH, 2 ** Math.floor(Math.log2(slots.length - i)));
    out.push(slots.slice(i, i + n));
    i += n;
  }
  return out;
}
