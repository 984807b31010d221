import { expect, test } from "bun:test";
import { ResultOutbox, type FinishedReport } from "./result-outbox.ts";

const report = (taskId: string, attempt = 1, extra: Partial<FinishedReport> = {}): FinishedReport => ({
  task_id: taskId,
  attempt,
  started_at_ms: 1000,
  finished_at_ms: 2000,
  error: "",
  exit_code: 0,
  ...extra,
});

test("a result waits until sent, then until confirmed by time on a live stream", () => {
  const box = new ResultOutbox();
  box.add(report("a"));
  box.add(report("b"));
  expect(box.unsent().map((r) => r.task_id)).toEqual(["a", "b"]);
  box.markSent(box.unsent()[0]!, 100);
  expect(box.unsent().map((r) => r.task_id)).toEqual(["b"]);
  expect(box.confirmOlderThan(1000, 1099)).toBe(0);
  expect(box.confirmOlderThan(1000, 1100)).toBe(1);
  expect(box.size).toBe(1);
  expect(box.has("a", 1)).toBe(false);
  expect(box.has("b", 1)).toBe(true);
});

test("a lost stream puts sent results back in line, and Hello lists every undelivered attempt", () => {
  const box = new ResultOutbox();
  box.add(report("a", 2, { started_at_ms: 5 }));
  box.add(report("b", 1));
  for (const r of box.unsent()) box.markSent(r, 10);
  expect(box.unsent()).toEqual([]);
  expect(box.undelivered()).toEqual([
    { task_id: "a", attempt: 2, started_at_ms: 5 },
    { task_id: "b", attempt: 1, started_at_ms: 1000 },
  ]);
  box.requeue();
  expect(box.unsent().map((r) => r.task_id)).toEqual(["a", "b"]);
  // Unsent results are never confirmed, however old.
  expect(box.confirmOlderThan(0, 1e12)).toBe(0);
});

test("a clean end confirms what was sent but not what was still waiting", () => {
  const box = new ResultOutbox();
  box.add(report("a"));
  box.markSent(report("a"), 1);
  box.add(report("b"));
  expect(box.confirmSent()).toBe(1);
  expect(box.unsent().map((r) => r.task_id)).toEqual(["b"]);
});

test("one entry per attempt: a second report of the same attempt replaces the first", () => {
  const box = new ResultOutbox();
  box.add(report("a", 1, { error: "first" }));
  box.add(report("a", 1, { error: "second" }));
  box.add(report("a", 2));
  expect(box.size).toBe(2);
  expect(box.unsent()[0]!.error).toBe("second");
});

test("a second report of an attempt already sent goes out again", () => {
  const box = new ResultOutbox();
  box.add(report("a", 1, { error: "first" }));
  box.markSent(box.unsent()[0]!, 1);
  expect(box.unsent()).toEqual([]);
  box.add(report("a", 1, { error: "second" }));
  expect(box.unsent().map((r) => r.error)).toEqual(["second"]);
  expect(box.confirmOlderThan(0, 1e12)).toBe(0);
});
