import { expect, test } from "bun:test";
import { RECONNECT_INITIAL_MS, RECONNECT_JITTER, RECONNECT_MAX_MS, reconnectDelayMs } from "./reconnect-backoff.ts";

test("the wait doubles from 100 ms per failure and stops at 5 s", () => {
  const noJitter = () => 0;
  expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => reconnectDelayMs(n, noJitter))).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000]);
  expect(reconnectDelayMs(1000, noJitter)).toBe(RECONNECT_MAX_MS);
  expect(reconnectDelayMs(0, noJitter)).toBe(RECONNECT_INITIAL_MS);
});

test("jitter only shortens the wait, by at most half", () => {
  for (const failures of [1, 3, 10]) {
    const step = reconnectDelayMs(failures, () => 0);
    expect(reconnectDelayMs(failures, () => 1)).toBe(Math.round(step * (1 - RECONNECT_JITTER)));
    for (let i = 0; i < 100; i++) {
      const d = reconnectDelayMs(failures);
      expect(d).toBeGreaterThanOrEqual(step * (1 - RECONNECT_JITTER) - 1);
      expect(d).toBeLessThanOrEqual(step);
    }
  }
});
