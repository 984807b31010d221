/**
 * A value loaded from the database and shared by every stream that shows it
 * (overview aggregates, the workers list). However many streams are open, it
 * loads at most once per `minIntervalMs` for them: changes from the feed only
 * mark it stale, and while anyone watches it also reloads every `refreshMs`
 * because time moves on (ages, lag, the throughput window) without any change
 * to report. A page render loads it fresh (sharing a load already under way),
 * since notifications arrive a moment after the writes that caused them.
 */
import { coerceError } from "../../core/errors.ts";
import type { Logger } from "../../log/logger.ts";
import type { FeedBatch, FeedListener } from "../live/change-feed.ts";

export interface LiveSnapshotOptions<T> {
  load: () => Promise<T>;
  minIntervalMs: number;
  refreshMs: number;
  /** Whether a batch of changes may change the value. */
  affectedBy: (batch: FeedBatch) => boolean;
  feed: { subscribe(listener: FeedListener): () => void; readonly lastSeq: number };
  log: Logger;
  now?: () => number;
}

export class LiveSnapshot<T> {
  /** The loaded value, when it was loaded, and the feed's position when the load started. */
  private value: { at: number; seq: number; data: T } | null = null;
  private loading: Promise<T> | null = null;
  private readonly listeners = new Set<(data: T) => void>();
  private stopFeed: (() => void) | null = null;
  private refreshTimer: Timer | undefined;
  private publishTimer: Timer | undefined;
  /** Counts relevant changes, so a load that started before a change is known to be stale. */
  private changes = 0;
  private loadedChanges = -1;
  /** Loads done (for tests and the query-cost evidence). */
  loads = 0;

  constructor(private readonly opts: LiveSnapshotOptions<T>) {}

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  /** For a page: a fresh value (concurrent callers share one load). */
  current(): Promise<T> {
    return this.reload();
  }

  /**
   * For a stream's first update: the cached value if loaded within the minimum
   * interval, else a reload. If the feed moved on since that load (a change while
   * nobody watched), a throttled publish follows with a fresh value.
   */
  async latest(): Promise<T> {
    const v = this.value;
    if (!v || this.now() - v.at >= this.opts.minIntervalMs) return this.reload();
    if (v.seq < this.opts.feed.lastSeq && this.loadedChanges === this.changes) {
      this.changes++;
      this.schedulePublish();
    }
    return v.data;
  }

  /** Calls `listener` with each new value while subscribed. Returns the unsubscribe function. */
  subscribe(listener: (data: T) => void): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.startWatching();
    return () => {
      if (!this.listeners.delete(listener) || this.listeners.size > 0) return;
      this.stopWatching();
    };
  }

  get watchers(): number {
    return this.listeners.size;
  }

  private startWatching(): void {
    this.stopFeed = this.opts.feed.subscribe((batch) => {
      if (!this.opts.affectedBy(batch)) return;
      this.changes++;
      this.schedulePublish();
    });
    this.refreshTimer = setInterval(() => {
      this.changes++;
      this.schedulePublish();
    }, this.opts.refreshMs);
  }

  private stopWatching(): void {
    this.stopFeed?.();
    this.stopFeed = null;
    clearInterval(this.refreshTimer);
    clearTimeout(this.publishTimer);
    this.publishTimer = undefined;
  }

  /** Publishes a fresh value once the minimum interval since the last load has passed; one pending publish at a time. */
  private schedulePublish(): void {
    if (this.publishTimer !== undefined || this.listeners.size === 0) return;
    const wait = Math.max(0, (this.value?.at ?? 0) + this.opts.minIntervalMs - this.now());
    this.publishTimer = setTimeout(() => void this.publish(), wait);
  }

  private async publish(): Promise<void> {
    try {
      // A load already under way (a page render) may cover the changes; if it started before them, it is stale.
      if (this.loading) await this.loading.catch(() => {});
      const stale = this.loadedChanges !== this.changes || this.value === null;
      // Too soon after that load: the finally block schedules the next publish instead.
      if (stale && this.value && this.now() - this.value.at < this.opts.minIntervalMs) return;
      const data = stale ? await this.reload() : this.value!.data;
      for (const l of this.listeners) {
        try {
          l(data);
        } catch (err) {
          this.opts.log.warn("a dashboard stream failed to send an update: {error}", { error: coerceError(err).message });
        }
      }
    } catch (err) {
      this.opts.log.warn("dashboard data could not be loaded: {error}", { error: coerceError(err).message });
    } finally {
      this.publishTimer = undefined;
      // Changes that arrived during the load get their own (throttled) publish.
      if (this.loadedChanges !== this.changes) this.schedulePublish();
    }
  }

  private reload(): Promise<T> {
    if (this.loading) return this.loading;
    const changes = this.changes;
    const seq = this.opts.feed.lastSeq;
    this.loads++;
    this.loading = this.opts
      .load()
      .then((data) => {
        this.value = { at: this.now(), seq, data };
        this.loadedChanges = changes;
        return data;
      })
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }
}
