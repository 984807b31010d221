/**
 * Recent throughput for /api/metrics: tasks submitted, completed and failed per
 * 10-second bucket over the last 10 minutes, kept in memory from the change feed
 * (so it is free to read, and starts empty when the scheduler starts).
 */

export const BUCKET_MS = 10_000;
export const BUCKETS = 60;

export type ThroughputKind = "submitted" | "completed" | "failed";

export interface ThroughputBucket {
  /** Start of the bucket. */
  at: Date;
  submitted: number;
  completed: number;
  failed: number;
}

export class Throughput {
  private readonly ring: ThroughputBucket[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  add(kind: ThroughputKind, n = 1): void {
    this.current()[kind] += n;
  }

  /** The last BUCKETS buckets, oldest first, ending with the current (partial) one; empty ones count zero. */
  series(): ThroughputBucket[] {
    const end = Math.floor(this.now() / BUCKET_MS) * BUCKET_MS;
    const byStart = new Map(this.ring.map((b) => [b.at.getTime(), b]));
    return Array.from({ length: BUCKETS }, (_, i) => {
      const at = end - (BUCKETS - 1 - i) * BUCKET_MS;
      const b = byStart.get(at);
      return { at: new Date(at), submitted: b?.submitted ?? 0, completed: b?.completed ?? 0, failed: b?.failed ?? 0 };
    });
  }

  /** Per-minute rates over the last `windowMs` of complete buckets (the current one is partial and left out). */
  perMinute(windowMs = 60_000): Record<ThroughputKind, number> {
    const n = Math.max(1, Math.round(windowMs / BUCKET_MS));
    const recent = this.series().slice(-1 - n, -1);
    const sum = (k: ThroughputKind) => recent.reduce((a, b) => a + b[k], 0);
    const scale = 60_000 / (n * BUCKET_MS);
    return { submitted: sum("submitted") * scale, completed: sum("completed") * scale, failed: sum("failed") * scale };
  }

  private current(): ThroughputBucket {
    const at = Math.floor(this.now() / BUCKET_MS) * BUCKET_MS;
    const last = this.ring.at(-1);
    if (last && last.at.getTime() === at) return last;
    const b = { at: new Date(at), submitted: 0, completed: 0, failed: 0 };
    this.ring.push(b);
    if (this.ring.length > BUCKETS) this.ring.shift();
    return b;
  }
}
