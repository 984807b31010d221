/**
 * The retention facts the scheduler shows (metrics, /api/metrics, the overview):
 * this process's retention policies plus the database's retention stats, read at
 * most once per RETENTION_TTL_MS however many readers ask (pg_database_size walks
 * the database's files, so it is not read on every dashboard refresh).
 */
import type { RetentionPolicy } from "../../core/retention.ts";
import type { Db } from "../../db/client.ts";
import { retentionStats, type RetentionStats } from "../../db/queries/retention-stats.ts";
import type { Logger } from "../../log/logger.ts";

export const RETENTION_TTL_MS = 15_000;
/** A database that does not answer within this long counts as unreadable for this read, so scrapes never hang. */
const READ_TIMEOUT_MS = 3000;

export interface RetentionFacts {
  /** The policies this process was started with (coordinators prune by their own; run them with the same flags). */
  policy: RetentionPolicy;
  /** Null when the database could not be read. */
  stats: RetentionStats | null;
}

export class RetentionReader {
  private cached: { at: number; value: Promise<RetentionStats | null> } | null = null;

  constructor(
    private readonly db: Db,
    readonly policy: RetentionPolicy,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async read(): Promise<RetentionFacts> {
    const t = this.now();
    if (!this.cached || t - this.cached.at >= RETENTION_TTL_MS) {
      let timer: Timer | undefined;
      const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${READ_TIMEOUT_MS} ms`)), READ_TIMEOUT_MS)));
      const value: Promise<RetentionStats | null> = Promise.race([retentionStats(this.db), timeout]).finally(() => clearTimeout(timer)).catch((err) => {
        this.log.warn("could not read retention stats: {error}", { error: String((err as Error)?.message ?? err) });
        // Not kept: the next reader tries again.
        if (this.cached?.value === value) this.cached = null;
        return null;
      });
      this.cached = { at: t, value };
    }
    return { policy: this.policy, stats: await this.cached.value };
  }
}
