/**
 * The scheduler's metrics: counters and histograms fed by the change feed and the
 * HTTP hook, gauges read from the database on demand. One database snapshot is
 * shared by every reader for SNAPSHOT_TTL_MS (Prometheus, /api/metrics, the
 * `metrics` events of every open stream), so readers never multiply queries; the
 * capped counts of finished tasks (JSON only) are dearer and kept longer.
 */
import type { RetentionPolicy } from "../../core/retention.ts";
import { coerceError } from "../../core/errors.ts";
import type { Db } from "../../db/client.ts";
import { countLiveTasks, type QueueGauges } from "../../db/queries/count-live-tasks.ts";
import { listPausedQueues } from "../../db/queries/list-paused-queues.ts";
import { countWorkers } from "../../db/queries/count-workers.ts";
import { finishedCounts, type FinishedCounts } from "../../db/queries/finished-counts.ts";
import type { Logger } from "../../log/logger.ts";
import type { ChangeFeed } from "../live/change-feed.ts";
import { createInstruments, type Instruments } from "./instruments.ts";
import { metricsJson, type MetricsJson } from "./metrics-json.ts";
import { RETENTION_TTL_MS, RetentionReader, type RetentionFacts } from "./retention-reader.ts";
import { retentionJson } from "./retention-json.ts";
import { Throughput } from "./throughput.ts";
import { recordBatch } from "./transition-recorder.ts";

/** The gauges read from the database: live tasks per queue (the same count as the overview's) and worker sessions. */
export interface MetricsSnapshot {
  queues: QueueGauges[];
  /** Names of the paused queues. */
  paused: string[];
  workers: Record<"alive" | "draining" | "dead", number>;
  /** Alive and draining sessions by the coordinator address holding their stream. */
  connectedByCoordinator: Record<string, number>;
  /** Alive (not draining) sessions serving each queue: what takes that queue's work now. */
  liveWorkersByQueue: Record<string, number>;
}

async function readSnapshot(db: Db): Promise<MetricsSnapshot> {
  const [queues, workers, paused] = await Promise.all([countLiveTasks(db), countWorkers(db), listPausedQueues(db)]);
  return { queues, paused, workers: workers.byStatus, connectedByCoordinator: workers.connectedByCoordinator, liveWorkersByQueue: workers.aliveByQueue };
}

/** How long one database snapshot serves every reader. */
export const SNAPSHOT_TTL_MS = 1000;
/** How long the capped counts of finished tasks serve every reader. */
export const FINISHED_TTL_MS = 15_000;
/** A database that does not answer within this long counts as down for this read, so scrapes never hang. */
export const READ_TIMEOUT_MS = 3000;

export class SchedulerMetrics {
  readonly instruments: Instruments = createInstruments();
  readonly throughput = new Throughput();
  /** When the counters started counting. */
  readonly since = new Date();
  private readonly live = this.cachedRead("gauges", SNAPSHOT_TTL_MS, readSnapshot);
  private readonly finished = this.cachedRead("finished task counts", FINISHED_TTL_MS, finishedCounts);
  /** Retention policies and stats, shared with the dashboard's overview. */
  readonly retention: RetentionReader;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    feed: ChangeFeed | undefined,
    policy: RetentionPolicy,
  ) {
    this.retention = new RetentionReader(db, policy, log);
    // The feed clears its listeners when it stops; nothing to undo here.
    feed?.subscribe((batch) => recordBatch(this.instruments, this.throughput, batch));
  }

  /** The database gauges, at most SNAPSHOT_TTL_MS old; null when the database cannot be read. */
  async snapshot(): Promise<MetricsSnapshot | null> {
    return (await this.live())?.value ?? null;
  }

  /** A database read, with when it was made, shared by every caller for `ttlMs`; null (and a warning) when it fails. */
  private cachedRead<T>(what: string, ttlMs: number, read: (db: Db) => Promise<T>): () => Promise<{ value: T; at: Date } | null> {
    let cached: { at: number; value: Promise<{ value: T; at: Date } | null> } | null = null;
    return () => {
      const now = Date.now();
      if (cached && now - cached.at < ttlMs) return cached.value;
      let timer: Timer | undefined;
      const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${READ_TIMEOUT_MS} ms`)), READ_TIMEOUT_MS)));
      const value: Promise<{ value: T; at: Date } | null> = Promise.race([read(this.db), timeout])
        .then((v) => ({ value: v, at: new Date(now) }))
        .finally(() => clearTimeout(timer))
        .catch((err) => {
          this.log.warn("metrics could not read the {what}: {error}", { what, error: coerceError(err).message });
          // A failed read is not kept: the next reader tries again.
          if (cached?.value === value) cached = null;
          return null;
        });
      cached = { at: now, value };
      return value;
    };
  }

  /** The Prometheus text exposition of every metric. */
  async prometheus(): Promise<string> {
    const [snapshot, retention] = await Promise.all([this.snapshot(), this.retention.read()]);
    this.setGauges(snapshot);
    this.setRetention(retention);
    return this.instruments.registry.metrics();
  }

  get contentType(): string {
    return this.instruments.registry.contentType;
  }

  /** The same facts as JSON (GET /api/metrics and the `metrics` event). */
  async json(): Promise<MetricsJson> {
    // The finished counts are older than the live ones: the answer gives each its time.
    const [snapshot, finished, retention] = await Promise.all([this.live(), this.finished(), this.retention.read()]);
    return { ...(await metricsJson(snapshot, finished, this.instruments, this.throughput, this.since)), retention: retentionJson(retention, RETENTION_TTL_MS) };
  }

  private setRetention(f: RetentionFacts): void {
    const m = this.instruments;
    for (const g of [m.oldestFinished, m.databaseSize, m.retention]) g.reset();
    for (const [target, ms] of Object.entries(f.policy)) if (ms !== null) m.retention.set({ target }, ms / 1000);
    if (!f.stats) return;
    // A counter kept in the database: set to its total (prom-client counters only add).
    m.pruned.reset();
    for (const [table, n] of Object.entries(f.stats.prunedTotal)) m.pruned.inc({ table }, n);
    for (const [status, age] of Object.entries(f.stats.oldestFinishedAgeSeconds)) if (age !== null) m.oldestFinished.set({ status }, age);
    m.databaseSize.set(f.stats.databaseSizeBytes);
  }

  private setGauges(s: MetricsSnapshot | null): void {
    const m = this.instruments;
    for (const g of [m.tasks, m.runningAttempts, m.queueLag, m.queuePaused, m.workers, m.connectedWorkers, m.queueWorkers]) g.reset();
    m.databaseUp.set(s ? 1 : 0);
    if (!s) return;
    for (const q of s.queues) {
      for (const [status, n] of Object.entries(q.counts)) m.tasks.set({ queue: q.queue, status }, n);
      m.runningAttempts.set({ queue: q.queue }, q.counts.running);
      m.queueLag.set({ queue: q.queue }, q.lagSeconds);
      m.queueWorkers.set({ queue: q.queue }, 0);
    }
    for (const [queue, n] of Object.entries(s.liveWorkersByQueue)) m.queueWorkers.set({ queue }, n);
    for (const queue of s.paused) m.queuePaused.set({ queue }, 1);
    for (const [status, n] of Object.entries(s.workers)) m.workers.set({ status }, n);
    for (const [coordinator, n] of Object.entries(s.connectedByCoordinator)) m.connectedWorkers.set({ coordinator }, n);
  }
}
