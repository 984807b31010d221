/**
 * Coalesces concurrent writes into batches without adding latency: the first item
 * is flushed at once; items arriving while a flush is in flight wait and go out
 * together in the next one. A failed flush is retried with backoff (results must
 * never be dropped because the database blinked), unless the batcher is closed.
 */

export interface MicroBatcherOptions {
  /** Largest batch handed to flush. */
  maxBatch: number;
  /** Called when a flush fails and will be retried. */
  onRetry?: (err: unknown, attempt: number) => void;
}

/** Retry delays after a failed flush: 50 ms doubling to 2 s. */
const RETRY_BASE_MS = 50;
const RETRY_MAX_MS = 2000;

export class MicroBatcher<T, R> {
  private queue: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private flushing: Promise<void> | null = null;
  private closed = false;

  constructor(
    /** Writes a batch; returns one result per item, in order. */
    private readonly flush: (items: T[]) => Promise<R[]>,
    private readonly opts: MicroBatcherOptions,
  ) {}

  add(item: T): Promise<R> {
    if (this.closed) return Promise.reject(new Error("batcher closed"));
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.flushing ??= this.drain();
    });
  }

  /** Items waiting or being written. */
  get pending(): number {
    return this.queue.length;
  }

  /** Waits until everything queued so far is written, or the deadline passes. */
  async idle(deadlineMs: number): Promise<boolean> {
    const deadline = Date.now() + deadlineMs;
    while (this.flushing && Date.now() < deadline) {
      await Promise.race([this.flushing, Bun.sleep(Math.max(1, deadline - Date.now()))]);
    }
    return this.flushing === null;
  }

  /** Stops retrying; waiting items are rejected. */
  close(): void {
    this.closed = true;
    for (const q of this.queue.splice(0)) q.reject(new Error("batcher closed"));
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.closed) {
        const batch = this.queue.slice(0, this.opts.maxBatch);
        const results = await this.flushWithRetry(batch.map((b) => b.item));
        if (results === null) return;
        this.queue.splice(0, batch.length);
        batch.forEach((b, i) => b.resolve(results[i]!));
      }
    } finally {
      this.flushing = null;
    }
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
