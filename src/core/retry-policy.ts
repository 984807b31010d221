/**
 * The retry policy (SPEC §2), as pure functions: given a task's backoff settings
 * and the attempt that just failed, whether to retry and after how long. What a
 * finished attempt does to its task is core/attempt.ts:attemptOutcome.
 */

export interface BackoffSettings {
  backoffMs: number;
  backoffFactor: number;
  backoffMaxMs: number;
}

/** Defaults for a task that does not set its retry settings (SPEC §2). */
export const MAX_RETRIES_DEFAULT = 3;
export const BACKOFF_MS_DEFAULT = 1000;
export const BACKOFF_FACTOR_DEFAULT = 2;
export const BACKOFF_MAX_MS_DEFAULT = 3_600_000;

/** Up to this fraction of the delay is added as random jitter, spreading retry storms. */
export const RETRY_JITTER = 0.1;

/**
 * Delay before retry n (n = 1, 2, …): min(backoff_max_ms, backoff_ms × backoff_factor^(n−1)),
 * plus up to 10% jitter. `random` is injectable so tests can pin it.
 *
 * @example retryDelayMs({ backoffMs: 1000, backoffFactor: 2, backoffMaxMs: 3_600_000 }, 3, () => 0) // 4000
 */
export function retryDelayMs(s: BackoffSettings, n: number, random: () => number = Math.random): number {
  const base = Math.min(s.backoffMaxMs, s.backoffMs * Math.pow(s.backoffFactor, Math.max(0, n - 1)));
  return Math.round(base + base * RETRY_JITTER * random());
}

/** True when a task whose attempt `attempt` failed still has a retry left (max_retries counts retries after the first). */
export function hasRetryLeft(attempt: number, maxRetries: number): boolean {
  return attempt < maxRetries + 1;
}
