/**
 * Removes finished tasks (with their attempts, output and events) and dead worker
 * sessions past their retention, in small batches through indexes, so it never
 * holds long locks or starves dispatch. Every coordinator runs one: batches lock
 * their rows `skip locked`, so pruners split the work without a leader and never
 * remove a row twice.
 *
 * Pacing (docs/retention.md#pacing): each batch aims at a time budget (100 ms) rather
 * than a row count: its size adapts to what the last batches cost per task, from 25
 * up to the batch size, so a cold cache, a busy disk or a vacuum in progress makes the
 * batches smaller instead of longer. After each batch the pruner rests in proportion
 * to the work it just did (twice the batch's time, so at most a third of one
 * connection busy; a slower database means longer rests), and a batch that took far
 * over its budget is followed by a longer rest. Between passes it waits `intervalMs`
 * (with jitter, so coordinators drift apart). After downtime it catches up at that
 * same steady rate, never in a burst.
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

/** The most tasks one batch may remove; the budget usually keeps batches smaller. */
export const PRUNE_BATCH_DEFAULT = 500;
/** What one batch aims to take: its WAL comes in slices this size, which the live load's serialised NOTIFY commits flush. */
export const PRUNE_BATCH_BUDGET_MS_DEFAULT = 100;
export const PRUNE_INTERVAL_MS_DEFAULT = 60_000;
export const PRUNE_REST_FACTOR_DEFAULT = 2;
/** The first pass waits this long after start, so a starting coordinator serves workers first. */
const FIRST_PASS_DELAY_MS = 5000;
/** The first batch of a backlog (its pages are cold); a batch is never smaller. */
const FIRST_BATCH = 25;
/** A batch grows at most this much over the last one, however cheap that one was. */
const MAX_GROWTH = 2;
/** A batch over this many times its budget: the database is struggling, rest longer. */
const OVER_BUDGET = 4;
/** A batch slower than this is logged: the tables or their indexes need a look. */
const SLOW_BATCH_MS = 1000;

export interface PrunerOptions {
  /** The most tasks (or worker sessions) removed per statement. */
  batchSize?: number;
  /** What one batch aims to take: batch sizes adapt to it. */
  batchBudgetMs?: number;
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
  private readonly batchBudgetMs: number;
  private readonly intervalMs: number;
  private readonly restFactor: number;
  private readonly vacuum: boolean;
  private timer: Timer | null = null;
  private pass: Promise<unknown> | null = null;
  /** Set by stop(): batches and passes end at the next step. */
  private halted = false;
  /** How the current pass went, for its log line. */
  private pace = { batches: 0, busyMs: 0, restMs: 0 };
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
    this.batchBudgetMs = opts.batchBudgetMs ?? PRUNE_BATCH_BUDGET_MS_DEFAULT;
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
    this.pace = { batches: 0, busyMs: 0, restMs: 0 };
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
      const { batches, busyMs, restMs } = this.pace;
      this.log.info("pruned {tasks} task(s) ({attempts} attempts, {events} events) and {workers} dead worker session(s) in {ms} ms: {batches} batches of {mean} ms on average, resting {rest} % of the time", {
        ...total,
        ms: Math.round(performance.now() - started),
        batches,
        mean: Math.round(busyMs / Math.max(1, batches)),
        rest: Math.round((100 * restMs) / Math.max(1, busyMs + restMs)),
      });
    }
    return total;
  }

  /**
   * Runs `batch` until it removes less than it was asked to, resting between
   * batches. The size of each batch is what the budget buys at the cost per task
   * of the last one (smoothed), growing at most twofold a batch: a backlog starts
   * at 25 (a full-size first batch reads cold pages and stalled commits, and so
   * dispatch, for up to a second in the retention bench).
   */
  private async batches(batch: (limit: number) => Promise<number>, what: string): Promise<void> {
    let limit = Math.min(this.batchSize, FIRST_BATCH);
    let msPerRow = Number.NaN;
    while (!this.halted) {
      const t0 = performance.now();
      const n = await batch(limit);
      const took = performance.now() - t0;
      this.pace.batches++;
      this.pace.busyMs += took;
      if (took > SLOW_BATCH_MS) this.log.warn("pruning {n} {what} took {ms} ms", { n, what, ms: Math.round(took) });
      if (n < limit) return;
      msPerRow = Number.isNaN(msPerRow) ? took / n : 0.5 * msPerRow + 0.5 * (took / n);
      limit = nextBatchSize(limit, msPerRow, this.batchBudgetMs, this.batchSize);
      const rest = restAfter(took, this.batchBudgetMs, this.restFactor);
      this.pace.restMs += rest;
      await this.rest(rest);
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

/** The next batch's size: what `budgetMs` buys at `msPerRow`, at most twice the last and within [25, max]. */
export function nextBatchSize(last: number, msPerRow: number, budgetMs: number, max: number): number {
  const fits = msPerRow > 0 ? Math.floor(budgetMs / msPerRow) : max;
  return Math.max(Math.min(FIRST_BATCH, max), Math.min(max, last * MAX_GROWTH, fits));
}

/**
 * The rest after a batch that took `tookMs`: `restFactor` times its time, and for
 * a batch more than 4× over its budget (a busy disk, a vacuum, a checkpoint) that
 * again times the overrun / 4, so the pruner stands back while the database catches up.
 */
export function restAfter(tookMs: number, budgetMs: number, restFactor: number): number {
  if (restFactor <= 0) return 0;
  const over = tookMs / Math.max(1, budgetMs);
  return tookMs * restFactor * (over > OVER_BUDGET ? over / OVER_BUDGET : 1);
}
