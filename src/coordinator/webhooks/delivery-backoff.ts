/**
 * When a failed webhook delivery is tried again: exponential backoff from `baseMs`
 * (doubling, capped at an hour, plus up to 10% jitter), for as long as the delivery
 * is younger than the retry window (24 h by default); after that it is given up.
 */
export const DELIVERY_BASE_DELAY_MS = 10_000;
export const DELIVERY_MAX_DELAY_MS = 3_600_000;
export const DELIVERY_RETRY_WINDOW_MS = 24 * 3_600_000;

export interface DeliveryBackoff {
  baseMs: number;
  maxMs: number;
  windowMs: number;
}

export const DEFAULT_DELIVERY_BACKOFF: DeliveryBackoff = { baseMs: DELIVERY_BASE_DELAY_MS, maxMs: DELIVERY_MAX_DELAY_MS, windowMs: DELIVERY_RETRY_WINDOW_MS };

/**
 * The next try after failed attempt `attempt` (1-based), or null to give up.
 * @example nextDeliveryAt(new Date(0), 1, new Date(0), DEFAULT_DELIVERY_BACKOFF, () => 0) // 10 s after now
 */
export function nextDeliveryAt(createdAt: Date, attempt: number, now: Date, b: DeliveryBackoff, random: () => number = Math.random): Date | null {
  const delay = Math.min(b.maxMs, b.baseMs * 2 ** (attempt - 1));
  const at = now.getTime() + delay * (1 + 0.1 * random());
  return at - createdAt.getTime() > b.windowMs ? null : new Date(at);
}
