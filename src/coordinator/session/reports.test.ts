import { expect, test } from "bun:test";
import { spawnStamp } from "./reports.ts";

test("a worker's spawn stamp is kept only when a clock could give it: none (0), negative, far off or unsafe numbers are null", () => {
  expect(spawnStamp(1_796_000_000_123_456)).toBe(1_796_000_000_123_456);
  // A worker a day behind (libfaketime in the chaos battery) still has a clock.
  expect(spawnStamp(1_796_000_000_123_456 - 86_400_000_000)).toBe(1_796_000_000_123_456 - 86_400_000_000);
  for (const bad of [0, -1, 1_000, 9_000_000_000_000_000, Number.MAX_VALUE, Number.NaN, 1.5e15 + 0.5]) expect(spawnStamp(bad)).toBeNull();
});
