import { expect, test } from "bun:test";
import { preciseNowMs } from "./precise-clock.ts";

test("preciseNowMs stays within a millisecond of Date.now() and never goes back between calls", () => {
  let last = 0;
  for (let i = 0; i < 10_000; i++) {
    const before = Date.now();
    const t = preciseNowMs();
    const after = Date.now();
    expect(t).toBeGreaterThanOrEqual(before - 1);
    expect(t).toBeLessThanOrEqual(after + 1);
    expect(t).toBeGreaterThanOrEqual(last - 1);
    last = t;
  }
});

test("preciseNowMs has a fraction of a millisecond", () => {
  const samples = Array.from({ length: 200 }, () => preciseNowMs());
  expect(samples.some((t) => !Number.isInteger(t))).toBe(true);
});
