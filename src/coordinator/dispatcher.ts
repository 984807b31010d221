/**
 * The claim loop: fills connected workers' free slots with due tasks. It wakes on
 * NOTIFY (a task was submitted), on freed slots, on a timer set to the nearest
 * future run_at (by the database's clock), and on a slow poll as a fallback, so a
 * due task starts within milliseconds without the database being hammered.
 */
import type { Service } from "../core/lifecycle.ts";
import { WakeableLoop } from "../core/wakeable-loop.ts";
import type { Database } from "../db/client.ts";
import { WAKE_CHANNEL } from "../db/channels.ts";
import { claimDueTasks } from "../db/queries/claim-due-tasks.ts";
import { loseAttempts } from "../db/queries/lose-attempts.ts";
import { msUntilNextDue } from "../db/queries/next-due.ts";
import type { Logger } from "../log/logger.ts";
import type { SessionRegistry } from "./session-registry.ts";

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

  constructor(
    private readonly database: Database,
    private readonly registry: SessionRegistry,
    private readonly log: Logger,
  ) {
    this.loop = new WakeableLoop(async () => ((await this.runOnce()) ? "again" : this.nextWakeMs()), log, {
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

  /** One pass over workers with free slots; true when a claim came back full (more may be due). */
  async runOnce(): Promise<boolean> {
    let more = false;
    for (const s of this.registry.withFreeSlots()) {
      const limit = Math.min(s.free, MAX_CLAIM_BATCH);
      if (limit <= 0) continue;
      const claimed = await claimDueTasks(this.database.db, { workerId: s.id, workerName: s.name, queues: s.queues, limit });
      if (claimed.length === 0) continue;
      const unsent = s.dispatch(claimed);
      if (unsent.length > 0) {
        // The stream went away between claim and send: those attempts never reached a worker.
        const refs = unsent.map((t) => ({ taskId: t.id, attempt: t.attempt, workerId: s.id }));
        await this.database.db.transaction((tx) => loseAttempts(tx, { attempts: refs }, `could not deliver to worker ${s.name}`));
      }
      for (const t of claimed) if (!unsent.includes(t)) this.log.info("task {taskId} attempt {attempt} dispatched to {worker}", { taskId: t.id, attempt: t.attempt, worker: s.name });
      if (claimed.length === limit) more = true;
    }
    return more;
  }

  /** When to look again: at the nearest future run_at, soon if due tasks are contended, else the poll. */
  private async nextWakeMs(): Promise<number> {
    const free = this.registry.withFreeSlots();
    if (free.length === 0) return POLL_MS;
    const queues = [...new Set(free.flatMap((s) => s.queues))];
    const ms = await msUntilNextDue(this.database.db, queues);
    if (ms === null) return POLL_MS;
    if (ms <= 0) return CONTENDED_RETRY_MS;
    // +1 ms: a timer may fire a hair early, and the claim never takes a task before its run_at.
    return Math.min(POLL_MS, Math.ceil(ms) + 1);
  }
}
