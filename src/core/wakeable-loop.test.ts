import { expect, test } from "bun:test";
import { roleLogger } from "../log/logger.ts";
import { WakeableLoop, type NextPass } from "./wakeable-loop.ts";
import { waitFor } from "../../test/support/processes.ts";

const log = roleLogger("test");

test("wakes during a pass coalesce into one more pass", async () => {
  let passes = 0;
  let release!: () => void;
  let gate = new Promise<void>((r) => (release = r));
  const loop = new WakeableLoop(async () => {
    passes++;
    await gate;
    return 60_000;
  }, log, { what: "test", errorBackoffMs: 10 });
  loop.start();
  await waitFor("the first pass", () => passes === 1);
  for (let i = 0; i < 50; i++) loop.wake();
  gate = Promise.resolve();
  release();
  await waitFor("the second pass", () => passes === 2);
  await Bun.sleep(20);
  expect(passes).toBe(2);
  await loop.stop();
});

test("'again' runs another pass at once; a delay arms a timer; errors back off and carry on", async () => {
  const plan: (NextPass | Error)[] = ["again", "again", new Error("db down"), 5, 60_000];
  let passes = 0;
  const loop = new WakeableLoop(async () => {
    const step = plan[passes++] ?? 60_000;
    if (step instanceof Error) throw step;
    return step;
  }, log, { what: "test", errorBackoffMs: 5 });
  loop.start();
  await waitFor("five passes", () => passes === 5, 2000, 1);
  await loop.stop();
  loop.wake();
  expect(passes).toBe(5);
});

test("raceWake: a wake during the lookup starts the next pass at once; a wake before it skips the lookup", async () => {
  let passes = 0;
  let lookups = 0;
  let wakeDuringLookup = true;
  const loop: WakeableLoop = new WakeableLoop(async () => {
    passes++;
    if (passes === 3) return 60_000;
    if (!wakeDuringLookup) loop.wake();
    return loop.raceWake(() => {
      lookups++;
      if (wakeDuringLookup) {
        wakeDuringLookup = false;
        queueMicrotask(() => loop.wake());
      }
      // A lookup that never answers: only the wake can end the pass.
      return new Promise<number>(() => {});
    });
  }, log, { what: "test", errorBackoffMs: 10 });
  loop.start();
  await waitFor("three passes", () => passes === 3, 2000, 1);
  expect(lookups).toBe(1);
  await loop.stop();
});

test("raceWake without a wake answers with the lookup: the next pass waits for the timer", async () => {
  let passes = 0;
  const loop: WakeableLoop = new WakeableLoop(async () => {
    passes++;
    return loop.raceWake(async () => (passes === 1 ? 5 : 60_000));
  }, log, { what: "test", errorBackoffMs: 10 });
  loop.start();
  await waitFor("the timer's pass", () => passes === 2, 2000, 1);
  await Bun.sleep(20);
  expect(passes).toBe(2);
  await loop.stop();
});
