/**
 * The wall clock with sub-millisecond precision: Date.now() has whole milliseconds,
 * too coarse for start latencies of a few milliseconds. The monotonic clock gives
 * the fraction; its offset to the wall clock is taken again whenever the two drift
 * apart by more than a millisecond (an NTP step), so a stamp never strays from
 * Date.now() by more than that.
 */
let offset = Date.now() - performance.now();

/**
 * Milliseconds since the epoch, with a fraction.
 *
 * @example
 * const t = preciseNowMs(); // 1796608421123.457
 */
export function preciseNowMs(): number {
  const mono = performance.now();
  const wall = Date.now();
  // wall is floored: it lies within [precise − 1, precise] when the offset holds.
  const precise = offset + mono;
  if (precise < wall || precise - wall >= 1 + 1e-6) offset = wall - mono + 0.5;
  return offset + mono;
}
