import { expect, test } from "bun:test";
import { waitingReason, type WaitingFacts } from "./waiting-reason.ts";

const free: WaitingFacts = {
  queue: "q", runAtFuture: false, blockedBy: 0, dependencies: [], queuePaused: false, concurrencyKey: null,
  keyActive: 0, keyLimit: 1, keyHolders: [], workers: 1, slots: 2, busy: 0,
};

test("each cause in the claim's order; nothing holding it back is null", () => {
  expect(waitingReason(free)).toBeNull();
  expect(waitingReason({ ...free, blockedBy: 7, dependencies: ["a", "b"] })).toBe("waiting for 7 tasks to finish: a, b and 5 more");
  expect(waitingReason({ ...free, blockedBy: 1, dependencies: ["a"], runAtFuture: true })).toBe("waiting for 1 task to finish: a");
  expect(waitingReason({ ...free, runAtFuture: true, queuePaused: true })).toBe("run_at in the future");
  expect(waitingReason({ ...free, queuePaused: true, workers: 0 })).toBe("queue q is paused");
  expect(waitingReason({ ...free, concurrencyKey: "k", keyActive: 2, keyLimit: 2, keyHolders: ["x", "y"] })).toBe(
    "concurrency key k is held by 2 of 2 allowed: x, y",
  );
  expect(waitingReason({ ...free, concurrencyKey: "k", keyActive: 1, keyLimit: 2 })).toBeNull();
  expect(waitingReason({ ...free, workers: 0, slots: 0 })).toBe("no live worker serves queue q");
  expect(waitingReason({ ...free, busy: 2 })).toBe("all 2 slots of workers serving q are busy");
});

test("placement: a selector no live worker matches, a pinned worker away, a fanout parent", () => {
  expect(waitingReason({ ...free, workers: 0, queueWorkers: 3, selector: { region: "eu", gpu: "*" } })).toBe("no live worker serving queue q matches selector gpu=*,region=eu");
  expect(waitingReason({ ...free, workers: 0, queueWorkers: 0, selector: { region: "eu" } })).toBe("no live worker serves queue q");
  expect(waitingReason({ ...free, workers: 0, queueWorkers: 2, pinnedWorker: "db-1" })).toBe("its worker db-1 is not live (a fanout child runs only there)");
  expect(waitingReason({ ...free, fanoutParent: true, blockedBy: 3 })).toBe("fanout parent: waiting for 3 children to start");
  expect(waitingReason({ ...free, fanoutParent: true, blockedBy: 0 })).toBeNull();
});
