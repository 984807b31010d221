import { expect, test } from "bun:test";
import { CATCH_UP_NONE_GRACE_MS, duePlan, overlapDecision } from "./schedule-policy.ts";

const t = (s: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, s));

test("catch-up: latest runs the last due time, all up to the cap oldest first, none drops a late one", () => {
  const recent = [t(30), t(20), t(10), t(0)];
  expect(duePlan("latest", 10, t(0), recent, t(31))).toEqual({ run: [t(30)], missed: { count: 3, first: t(0), last: t(20) } });
  expect(duePlan("all", 2, t(0), recent, t(31))).toEqual({ run: [t(20), t(30)], missed: { count: 2, first: t(0), last: t(10) } });
  expect(duePlan("all", 10, t(10), recent, t(31))).toEqual({ run: [t(10), t(20), t(30)], missed: null });
  expect(duePlan("none", 10, t(30), [t(30)], t(31))).toEqual({ run: [t(30)], missed: null });
  const late = new Date(t(30).getTime() + CATCH_UP_NONE_GRACE_MS + 1);
  expect(duePlan("none", 10, t(0), recent, late)).toEqual({ run: [], missed: { count: 4, first: t(0), last: t(30) } });
  // A hand-set next_run_at between matches still fires at its own time.
  expect(duePlan("latest", 10, t(35), [t(30)], t(36))).toEqual({ run: [t(35)], missed: null });
});

test("overlap: allow and an idle schedule create; skip skips; queue_one queues behind running runs once; replace cancels", () => {
  const running = [{ id: "a", status: "running" }];
  expect(overlapDecision("allow", running)).toEqual({ kind: "create" });
  expect(overlapDecision("skip", [])).toEqual({ kind: "create" });
  expect(overlapDecision("skip", running)).toEqual({ kind: "skip", reason: "run a is still running" });
  expect(overlapDecision("queue_one", running)).toEqual({ kind: "queue", after: ["a"] });
  expect(overlapDecision("queue_one", [...running, { id: "b", status: "scheduled" }])).toEqual({ kind: "skip", reason: "run b is already queued" });
  expect(overlapDecision("replace", running)).toEqual({ kind: "replace", cancel: ["a"] });
});
