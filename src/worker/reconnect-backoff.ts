/**
 * Reconnect backoff: how long a worker waits before dialing a coordinator again
 * after a failed attempt. Exponential (100 ms doubling to 5 s) with jitter, so a
 * fleet that lost its coordinator does not redial in lockstep when it comes back.
 */

/** Wait before the first redial after a failure. */
export const RECONNECT_INITIAL_MS = 100;
/** The longest wait between redials: a coordinator that comes back is found within this. */
export const RECONNECT_MAX_MS = 5000;
/** Growth of the wait per consecutive failure. */
const RECONNECT_FACTOR = 2;
/** Share of each wait that is random: the wait lies between (1 − JITTER) and 1 times the step. */
export const RECONNECT_JITTER = 0.5;

/**
 * The wait before the next dial after `failures` consecutive failed attempts (≥ 1).
 * @example
 * reconnectDelayMs(1, () => 0); // 100
 * reconnectDelayMs(4, () => 0); // 800
 * reconnectDelayMs(99, () => 1); // 2500 (half of the 5 s cap)
 */
export function reconnectDelayMs(failures: number, random: () => number = Math.random): number {
  const step = Math.min(RECONNECT_MAX_MS, RECONNECT_INITIAL_MS * RECONNECT_FACTOR ** Math.max(0, failures - 1));
  return Math.round(step * (1 - RECONNECT_JITTER * random()));
}
