/**
 * Removes finished tasks (with their attempts, output and events) and dead worker
 * sessions past their retention, in small batches through indexes, so it never
 * holds long locks or starves dispatch. Every coordinator runs one: batches lock
 * their rows `skip locked`, so pruners split the work without a leader and never
 * remove a row twice.
 *
 * Pacing: after each batch the pruner rests twice as long as the batch took (so
 * it keeps at most a third of one connection busy, and rests longer when the
 * database is busy and batches slow down), and between passes it waits
 * `intervalMs` (with jitter, so coordinators drift apart). After downtime it
 * catches up at that same steady rate, never in a burst.
 *
 * On embedded PGlite (no autovacuum) a pass that removed rows ends with a plain
 * VACUUM, so the space is reused and the data directory stops growing.
 */
import type { Service } from "../core/lifecycle.ts";
import { formatDuration } from "../core/duration.ts";
import { planFromPolicy, type PrunePlan, type RetentionPolicy } from "../core/retention.ts";
import type { Db } from "../db/client.ts";
import { pruneDeadWorkers } from "../db/queries/prune-dead-workers.ts";
import { pruneFinishedTasks } from "../db/queries/prune-finished-tasks.ts";
import { vacuumPrunedTables } from "../db/queries/vacuum-pruned-tables.ts";
import type { Logger } from "../log/logger.ts";

export const PRUNE_BATCH_DEFAULT = 500;
export const PRUNE_INTERVAL_MS_DEFAULT = 60_000;
export const PRUNE_REST_FACTOR_DEFAULT = 2;
/** The first pass waits this long after start, so a starting coordinator serves workers first. */
const FIRST_PASS_DELAY_MS = 5000;
/** The first batch of a backlog; each next one doubles, up to the batch size. */
const FIRST_BATCH = 25;
/** A batch slower than this is logged: the tables or their indexes need a look. */
const SLOW_BATCH_MS = 1000;

export interface PrunerOptions {
  /** Tasks (or worker sessions) removed per statement. */
  batchSize?: number;
  /** Time between passes once caught up. */
  intervalMs?: number;
  /** Rest after each batch, as a multiple of the batch's own time (2: busy at most a third of the time; 0 in tests). */
  restFactor?: number;
  /** VACUUM after a pass that removed rows (embedded PGlite, which has no autovacuum). */
  vacuum?: boolean;
}

/** What one pass removed. */
export interface PruneResult {
  tasks: number;
  attempts: number;
  events: number;
  workers: number;
  vacuumed: boolean;
}

export class Pruner implements Service {
  readonly name = "pruner";
  private readonly plan: PrunePlan;
  private readonly batchSize: number;
  private readonly intervalMs: number;
  private readonly restFactor: number;
  private readonly vacuum: boolean;
  private timer: Timer | null = null;
  private pass: Promise<unknown> | null = null;
  /** Set by stop(): batches and passes end at the next step. */
  private halted = false;
  /** Wakes a rest early when stopping. */
  private cutRest: (() => void) | null = null;

  constructor(
    private readonly db: Db,
    policy: RetentionPolicy,
    private readonly log: Logger,
    opts: PrunerOptions = {},
  ) {
    this.plan = planFromPolicy(policy);
    this.batchSize = opts.batchSize ?? PRUNE_BATCH_DEFAULT;
    this.intervalMs = opts.intervalMs ?? PRUNE_INTERVAL_MS_DEFAULT;
    this.restFactor = opts.restFactor ?? PRUNE_REST_FACTOR_DEFAULT;
    this.vacuum = opts.vacuum ?? false;
  }

  /** True when some policy is on (every one can be turned off). */
  get active(): boolean {
    return this.plan.tasks.length > 0 || this.plan.workersOlderThanMs !== null;
  }

  async start(): Promise<void> {
    if (!this.active) {
      this.log.info("retention is off for every status and worker sessions: nothing is pruned");
      return;
    }
    this.halted = false;
    const policy = [...this.plan.tasks.map((t) => `${t.status} ${formatDuration(t.olderThanMs)}`), ...(this.plan.workersOlderThanMs === null ? [] : [`dead workers ${formatDuration(this.plan.workersOlderThanMs)}`])];
    this.log.info("pruning past retention: {policy}", { policy: policy.join(", ") });
    this.schedule(FIRST_PASS_DELAY_MS);
  }

  async stop(): Promise<void> {
    this.halted = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.cutRest?.();
    await this.pass;
  }

  /**
   * One pass: every policy, batch after batch, until nothing past retention is
   * left (or the pruner stops). Tests call it directly.
   */
  async runOnce(): Promise<PruneResult> {
    const started = performance.now();
    const total: PruneResult = { tasks: 0, attempts: 0, events: 0, workers: 0, vacuumed: false };
    for (const target of this.plan.tasks) {
      await this.batches(async (limit) => {
        const r = await pruneFinishedTasks(this.db, { ...target, limit });
        total.tasks += r.tasks;
        total.attempts += r.attempts;
        total.events += r.events;
        return r.tasks;
      }, `${target.status} tasks`);
    }
    const workersAge = this.plan.workersOlderThanMs;
    if (workersAge !== null) {
      await this.batches(async (limit) => {
        const n = await pruneDeadWorkers(this.db, { olderThanMs: workersAge, limit });
        total.workers += n;
        return n;
      }, "dead worker sessions");
    }
    const removed = total.tasks + total.workers;
    if (removed > 0 && this.vacuum && !this.halted) {
      await vacuumPrunedTables(this.db);
      total.vacuumed = true;
    }
    if (removed > 0) {
      this.log.info("pruned {tasks} task(s) ({attempts} attempts, {events} events) and {workers} dead worker session(s) in {ms} ms", {
        ...total,
        ms: Math.round(performance.now() - started),
      });
    }
    return total;
  }

  /**
   * Runs `batch` until it removes less than it was asked to, resting between
   * batches. A backlog starts with small batches, doubling up to the batch size:
   * the first ones read cold pages, and a full-size first batch stalled commits
   * (and so dispatch) for up to a second in the retention bench.
   */
  private async batches(batch: (limit: number) => Promise<number>, what: string): Promise<void> {
    let limit = Math.min(this.batchSize, FIRST_BATCH);
    while (!this.halted) {
      const t0 = performance.now();
      const n = await batch(limit);
      const took = performance.now() - t0;
      if (took > SLOW_BATCH_MS) this.log.warn("pruning {n} {what} took {ms} ms", { n, what, ms: Math.round(took) });
      if (n < limit) return;
      limit = Math.min(this.batchSize, limit * 2);
      await this.rest(took * this.restFactor);
    }
  }

  private rest(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.cutRest = null;
        resolve();
      }, ms);
      this.cutRest = () => {
        clearTimeout(t);
        this.cutRest = null;
        resolve();
      };
    });
  }

  private schedule(delayMs: number): void {
    if (this.halted) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.pass = this.runOnce()
        .catch((err) => this.log.warn("pruning failed: {error}", { error: String((err as Error)?.message ?? err) }))
        .finally(() => {
          this.pass = null;
          // ±20% jitter: coordinators started together spread their passes out.
          this.schedule(this.intervalMs * (0.8 + Math.random() * 0.4));
        });
    }, delayMs);
  }
}
