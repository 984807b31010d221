/**
 * Coalesces concurrent writes into batches without adding latency: an item is
 * flushed at once while fewer than `maxInFlight` flushes are under way; items
 * arriving while all are busy wait and go out together when one ends. So a lone
 * item never waits, and batching only happens under load. A failed flush is
 * retried with backoff (results must never be dropped because the database
 * blinked), unless the batcher is closed.
 */

export interface MicroBatcherOptions {
  /** Largest batch handed to flush. */
  maxBatch: number;
  /** Flushes that may run at once (default 1). Above 1, batches may land out of order. */
  maxInFlight?: number;
  /** Called when a flush fails and will be retried. */
  onRetry?: (err: unknown, attempt: number) => void;
}

/** Retry delays after a failed flush: 50 ms doubling to 2 s. */
const RETRY_BASE_MS = 50;
const RETRY_MAX_MS = 2000;

interface Waiting<T, R> {
  item: T;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
  /** Taken back by withdraw(): left in the queue as a tombstone that flushes skip. */
  withdrawn?: boolean;
  /** The next waiting entry of the same item, when it was added more than once. */
  sameItem?: Waiting<T, R>;
}

/** Tombstones and flushed entries ahead of the queue's head are dropped once there are this many and they are half of it. */
const COMPACT_AT = 1024;

export class MicroBatcher<T, R> {
  /**
   * Items not yet handed to a flush, in order, from `head` on. Withdrawn entries stay as
   * tombstones and flushed ones are passed by moving `head`, so a withdraw and a flush
   * cost no shifting of the array (a coordinator withdraws from hundreds waiting).
   */
  private queue: Waiting<T, R>[] = [];
  private head = 0;
  /** Entries of the queue neither withdrawn nor flushed. */
  private waiting = 0;
  /** The first waiting entry of each item, for withdraw(). */
  private readonly byItem = new Map<T, Waiting<T, R>>();
  /** Batches handed to a flush and not yet written. */
  private readonly writing = new Set<Waiting<T, R>[]>();
  private readonly flushes = new Set<Promise<void>>();
  private closed = false;

  constructor(
    /** Writes a batch; returns one result per item, in order. */
    private readonly flush: (items: T[]) => Promise<R[]>,
    private readonly opts: MicroBatcherOptions,
  ) {}

  add(item: T): Promise<R> {
    if (this.closed) return Promise.reject(new Error("batcher closed"));
    return new Promise<R>((resolve, reject) => {
      this.enqueue({ item, resolve, reject });
      this.startFlushes();
    });
  }

  /** Adds several items at once, so they can share one flush (add() flushes a lone item at once). */
  addAll(items: T[]): Promise<R>[] {
    if (this.closed) return items.map(() => Promise.reject(new Error("batcher closed")));
    const out = items.map((item) => new Promise<R>((resolve, reject) => this.enqueue({ item, resolve, reject })));
    this.startFlushes();
    return out;
  }

  /**
   * Takes back an item that waits for a flush (compared by identity), so the caller can write
   * it another way; its promise stays unsettled, and the caller settles it with the answer.
   * Null when the item is being written or was: then its promise settles as usual. An item
   * added twice is withdrawn first where it was added first. O(1).
   */
  withdraw(item: T): { resolve: (r: R) => void; reject: (e: unknown) => void } | null {
    const taken = this.byItem.get(item);
    if (!taken) return null;
    this.unindex(taken);
    taken.withdrawn = true;
    this.waiting--;
    return { resolve: taken.resolve, reject: taken.reject };
  }

  /** Items waiting or being written. */
  get pending(): number {
    let n = this.waiting;
    for (const batch of this.writing) n += batch.length;
    return n;
  }

  /** Waits until everything queued so far is written, or the deadline passes. */
  async idle(deadlineMs: number): Promise<boolean> {
    const deadline = Date.now() + deadlineMs;
    while (this.flushes.size > 0 && Date.now() < deadline) {
      await Promise.race([Promise.all(this.flushes), Bun.sleep(Math.max(1, deadline - Date.now()))]);
    }
    return this.flushes.size === 0;
  }

  /** Stops retrying; waiting items are rejected. */
  close(): void {
    this.closed = true;
    const left = [...this.take(this.waiting), ...[...this.writing].flat()];
    this.writing.clear();
    for (const q of left) q.reject(new Error("batcher closed"));
  }

  /** Hands waiting items to new flushes while there is room for one. */
  private startFlushes(): void {
    const maxInFlight = this.opts.maxInFlight ?? 1;
    while (this.waiting > 0 && this.flushes.size < maxInFlight && !this.closed) {
      const batch = this.take(this.opts.maxBatch);
      this.writing.add(batch);
      const flushing: Promise<void> = this.write(batch).finally(() => {
        this.writing.delete(batch);
        this.flushes.delete(flushing);
        this.startFlushes();
      });
      this.flushes.add(flushing);
    }
  }

  private enqueue(w: Waiting<T, R>): void {
    this.queue.push(w);
    this.waiting++;
    const first = this.byItem.get(w.item);
    if (!first) {
      this.byItem.set(w.item, w);
      return;
    }
    let last = first;
    while (last.sameItem) last = last.sameItem;
    last.sameItem = w;
  }

  /** Forgets `w` in the index; it is always its item's first waiting entry (entries leave in the order they came). */
  private unindex(w: Waiting<T, R>): void {
    if (w.sameItem) this.byItem.set(w.item, w.sameItem);
    else this.byItem.delete(w.item);
    w.sameItem = undefined;
  }

  /** Takes up to `max` waiting entries off the head of the queue, in order, passing tombstones. */
  private take(max: number): Waiting<T, R>[] {
    const batch: Waiting<T, R>[] = [];
    while (batch.length < max && this.head < this.queue.length) {
      const w = this.queue[this.head++]!;
      if (w.withdrawn) continue;
      this.unindex(w);
      batch.push(w);
    }
    this.waiting -= batch.length;
    if (this.waiting === 0) {
      this.queue = [];
      this.head = 0;
    } else if (this.head >= COMPACT_AT && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return batch;
  }

  private async write(batch: Waiting<T, R>[]): Promise<void> {
    const results = await this.flushWithRetry(batch.map((b) => b.item));
    if (results === null) return;
    batch.forEach((b, i) => b.resolve(results[i]!));
  }

  private async flushWithRetry(items: T[]): Promise<R[] | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.flush(items);
      } catch (err) {
        if (this.closed) return null;
        this.opts.onRetry?.(err, attempt);
        await Bun.sleep(Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attempt - 1)));
        if (this.closed) return null;
      }
    }
  }
}
