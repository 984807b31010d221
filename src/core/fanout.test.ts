import { expect, test } from "bun:test";
import { chooseFanoutWorkers, type FanoutCandidate } from "./fanout.ts";

const w = (name: string, labels: Record<string, string>, running = 0): FanoutCandidate => ({ name, labels, running, concurrency: 4 });
const fleet = [w("db-2", { role: "db" }, 3), w("db-1", { role: "db" }, 1), w("web-1", { role: "web" }), w("db-1", { role: "db" })];

test("all: every matching worker once, by name", () => {
  expect(chooseFanoutWorkers("all", { role: "db" }, fleet)).toEqual({ ok: true, workers: ["db-1", "db-2"] });
  expect(chooseFanoutWorkers("all", null, fleet)).toEqual({ ok: true, workers: ["db-1", "db-2", "web-1"] });
});

test("N: the N least busy distinct workers", () => {
  expect(chooseFanoutWorkers(1, { role: "db" }, fleet)).toEqual({ ok: true, workers: ["db-1"] });
  expect(chooseFanoutWorkers(2, null, fleet)).toEqual({ ok: true, workers: ["web-1", "db-1"] });
});

test("too few or no workers: a reason", () => {
  expect(chooseFanoutWorkers("all", { role: "gpu" }, fleet)).toEqual({ ok: false, reason: "no live worker matches the selector" });
  expect(chooseFanoutWorkers(3, { role: "db" }, fleet)).toEqual({ ok: false, reason: "fanout 3 needs 3 workers, but only 2 live workers match the selector" });
  expect(chooseFanoutWorkers("all", null, [])).toEqual({ ok: false, reason: "no live worker serves the queue" });
});
