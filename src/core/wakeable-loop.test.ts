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
