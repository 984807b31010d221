import { expect, test } from "bun:test";
import type { TaskChange } from "../../db/channels.ts";
import type { FeedBatch } from "../live/change-feed.ts";
import { routeMatcher } from "./http-metrics.ts";
import { createInstruments } from "./instruments.ts";
import { Throughput } from "./throughput.ts";
import { recordBatch } from "./transition-recorder.ts";

function batch(changes: TaskChange[]): FeedBatch {
  return { seq: 1, taskChanges: changes, tasks: new Map(), failures: new Map(), workerChanges: [], workers: new Map(), scheduleChanges: [], rowsLoaded: false };
}

async function value(metric: { get(): Promise<{ values: { labels: Record<string, unknown>; value: number; metricName?: string }[] }> }, labels: Record<string, string>, name?: string) {
  const v = (await metric.get()).values.find((x) => (!name || x.metricName === name) && Object.entries(labels).every(([k, l]) => x.labels[k] === l));
  return v?.value ?? 0;
}

const change = (status: string, attempt: number, more: Partial<TaskChange> = {}): TaskChange => ({ id: "t1", status, attempt, queue: "mail", ...more });

test("transitions move the counters of the task's queue, without any row; attempt 0 scheduling is not a retry", async () => {
  const m = createInstruments();
  const tp = new Throughput();
  recordBatch(m, tp, batch([change("created", 0), change("scheduled", 0)]));
  recordBatch(m, tp, batch([change("cancelled", 0)]));
  recordBatch(m, tp, batch([change("scheduled", 0)]));
  recordBatch(m, tp, batch([{ id: "t2", status: "created", attempt: 0 }]));
  expect(await value(m.submitted, { queue: "mail" })).toBe(1);
  expect(await value(m.submitted, { queue: "unknown" })).toBe(1);
  expect(await value(m.cancelled, { queue: "mail" })).toBe(1);
  expect(await value(m.retried, { queue: "mail" })).toBe(0);
  expect(tp.series().at(-1)!.submitted).toBe(2);
});

// A batch submit brings thousands of `created` in one feed batch, counted per queue and added once each.
test("a feed batch of many submissions across queues counts each queue's", async () => {
  const m = createInstruments();
  const tp = new Throughput();
  const submits = (queue: string, n: number) => Array.from({ length: n }, (_, i) => [change("created", 0, { id: `${queue}${i}`, queue }), change("scheduled", 0, { id: `${queue}${i}`, queue })]).flat();
  recordBatch(m, tp, batch([...submits("mail", 3), ...submits("video", 2), ...submits("mail", 4)]));
  recordBatch(m, tp, batch(submits("video", 1)));
  expect(await value(m.submitted, { queue: "mail" })).toBe(7);
  expect(await value(m.submitted, { queue: "video" })).toBe(3);
  expect(await value(m.retried, { queue: "mail" })).toBe(0);
  expect(tp.series().at(-1)!.submitted).toBe(10);
});

test("run time and dispatch lag come from the notification; left out, nothing is observed", async () => {
  const m = createInstruments();
  const tp = new Throughput();
  recordBatch(m, tp, batch([change("running", 1, { lag: 0.25 })]));
  expect(await value(m.dispatchLag, { queue: "mail" }, "taskflow_dispatch_lag_seconds_sum")).toBeCloseTo(0.25);
  // Failed with a retry left: the attempt's run time comes with the `scheduled` transition.
  recordBatch(m, tp, batch([change("scheduled", 1, { duration: 2 })]));
  expect(await value(m.retried, { queue: "mail" })).toBe(1);
  expect(await value(m.attemptDuration, { queue: "mail", outcome: "failed" }, "taskflow_attempt_duration_seconds_sum")).toBeCloseTo(2);
  recordBatch(m, tp, batch([change("running", 2, { lag: 0.1 }), change("completed", 2, { duration: 3 })]));
  expect(await value(m.completed, { queue: "mail" })).toBe(1);
  expect(await value(m.attemptDuration, { queue: "mail", outcome: "completed" }, "taskflow_attempt_duration_seconds_sum")).toBeCloseTo(3);
  expect(await value(m.dispatchLag, { queue: "mail" }, "taskflow_dispatch_lag_seconds_count")).toBe(2);
  // The row had moved on (the trigger left the figures out): counted, not measured.
  recordBatch(m, tp, batch([change("running", 3), change("failed", 3), change("scheduled", 3)]));
  expect(await value(m.failed, { queue: "mail" })).toBe(1);
  expect(await value(m.retried, { queue: "mail" })).toBe(2);
  expect(await value(m.dispatchLag, { queue: "mail" }, "taskflow_dispatch_lag_seconds_count")).toBe(2);
  expect(await value(m.attemptDuration, { queue: "mail", outcome: "failed" }, "taskflow_attempt_duration_seconds_count")).toBe(1);
});

test("throughput: per-10 s buckets over 10 minutes and a per-minute rate of complete buckets", () => {
  let now = Date.UTC(2030, 0, 1, 0, 0, 5);
  const tp = new Throughput(() => now);
  tp.add("completed", 3);
  now += 10_000;
  tp.add("failed");
  now += 10_000;
  const series = tp.series();
  expect(series).toHaveLength(60);
  expect(series.slice(-3).map((b) => [b.completed, b.failed])).toEqual([[3, 0], [0, 1], [0, 0]]);
  expect(tp.perMinute()).toEqual({ submitted: 0, completed: 3, failed: 1 });
});

test("routeMatcher labels by template, static before dynamic, unknown paths as unmatched", () => {
  const match = routeMatcher(() => [
    { method: "GET", path: "/api/tasks/:id" },
    { method: "GET", path: "/api/tasks/batch" },
    { method: "POST", path: "/api/tasks/:id/cancel" },
    { method: "GET", path: "/assets/*" },
  ]);
  expect(match("GET", "/api/tasks/batch")).toBe("/api/tasks/batch");
  expect(match("GET", "/api/tasks/123")).toBe("/api/tasks/:id");
  expect(match("HEAD", "/api/tasks/123")).toBe("/api/tasks/:id");
  expect(match("POST", "/api/tasks/1/cancel")).toBe("/api/tasks/:id/cancel");
  expect(match("GET", "/assets/a/b.js")).toBe("/assets/*");
  expect(match("GET", "/wp-admin")).toBe("unmatched");
  expect(match("DELETE", "/api/tasks/1")).toBe("unmatched");
});
