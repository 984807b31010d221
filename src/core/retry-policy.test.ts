import { describe, expect, test } from "bun:test";
import { hasRetryLeft, retryDelayMs } from "./retry-policy.ts";

const s = { backoffMs: 1000, backoffFactor: 2, backoffMaxMs: 3_600_000 };

describe("retryDelayMs", () => {
  test("grows by the factor from backoff_ms, without jitter at random() = 0", () => {
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(s, n, () => 0))).toEqual([1000, 2000, 4000, 8000, 16000]);
  });
  test("is capped at backoff_max_ms", () => {
    expect(retryDelayMs({ ...s, backoffMaxMs: 5000 }, 10, () => 0)).toBe(5000);
    expect(retryDelayMs({ ...s, backoffMaxMs: 5000 }, 100, () => 0)).toBe(5000);
  });
  test("adds at most 10% jitter", () => {
    expect(retryDelayMs(s, 3, () => 0.999999)).toBe(4400);
    for (let i = 0; i < 1000; i++) {
      const d = retryDelayMs(s, 2, Math.random);
      expect(d).toBeGreaterThanOrEqual(2000);
      expect(d).toBeLessThanOrEqual(2200);
    }
  });
  test("factor 1 keeps a constant delay", () => {
    expect(retryDelayMs({ ...s, backoffFactor: 1 }, 7, () => 0)).toBe(1000);
  });
  test("never overflows to Infinity", () => {
    expect(retryDelayMs({ backoffMs: 86_400_000, backoffFactor: 10, backoffMaxMs: 3_600_000 }, 100, () => 0)).toBe(3_600_000);
  });
});

describe("hasRetryLeft", () => {
  test("max_retries counts retries after the first attempt", () => {
    expect(hasRetryLeft(1, 0)).toBe(false);
    expect(hasRetryLeft(1, 1)).toBe(true);
    expect(hasRetryLeft(2, 1)).toBe(false);
    expect(hasRetryLeft(3, 3)).toBe(true);
    expect(hasRetryLeft(4, 3)).toBe(false);
  });
});
