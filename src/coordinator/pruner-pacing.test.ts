/** The pruner's pacing: batch sizes that follow a time budget, and rests in proportion to the work done. */
import { expect, test } from "bun:test";
import { nextBatchSize, restAfter } from "./pruner.ts";

test("a batch is what the budget buys at the last cost per task, at most twice the last one, within [25, max]", () => {
  expect(nextBatchSize(25, 0.04, 40, 500)).toBe(50); // 1,000 would fit: grows twofold only
  expect(nextBatchSize(400, 0.08, 40, 500)).toBe(500); // 500 fit, the cap
  expect(nextBatchSize(400, 0.2, 40, 500)).toBe(200); // slower rows, a smaller batch
  expect(nextBatchSize(400, 10, 40, 500)).toBe(25); // never under 25
  expect(nextBatchSize(400, 0.2, 40, 10)).toBe(10); // nor over a small max
  expect(nextBatchSize(100, 0, 40, 500)).toBe(200); // a free batch still grows only twofold
});

test("the rest is restFactor times the batch's time, and longer for a batch far over its budget", () => {
  expect(restAfter(30, 40, 2)).toBe(60);
  expect(restAfter(160, 40, 2)).toBe(320); // 4× the budget: still in proportion
  expect(restAfter(400, 40, 2)).toBe(2000); // 10× the budget: 2.5× the proportional rest
  expect(restAfter(400, 40, 0)).toBe(0); // tests run without rests
});
