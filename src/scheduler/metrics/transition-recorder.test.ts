import { expect, test } from "bun:test";
import type { TaskChange } from "../../db/channels.ts";
import type { TaskRow } from "../../db/schema/index.ts";
import type { FeedBatch } from "../change-feed.ts";
import { routeMatcher } from "./http-metrics.ts";
import { createInstruments } from "./instruments.ts";
import { Throughput } from "./throughput.ts";
import { recordBatch } from "./transition-recorder.ts";

const t0 = new Date("2030-01-01T00:00:00Z");
const at = (ms: number) => new Date(t0.getTime() + ms);

function row(overrides: Partial<TaskRow>): TaskRow {
  return {
    id: "t1", name: "n", command: "c", env: {}, queue: "mail", priority: 0, runAt: t0, maxRetries: 3, backoffMs: 1000, backoffFactor: 2,
    backoffMaxMs: 3_600_000, timeoutMs: null, idempotencyKey: null, status: "scheduled", attempt: 0, workerId: null, worker: null,
    scheduleId: null, createdAt: t0, pickedAt: null, startedAt: null, finishedAt: null, exitCode: null, error: null, updatedAt: t0,
    ...overrides,
  };
}

function batch(changes: TaskChange[], rows: TaskRow[]): FeedBatch {
  return { seq: 1, taskChanges: changes, tasks: new Map(rows.map((r) => [r.id, r])), workerChanges: [], workers: new Map(), scheduleChanges: [] };
}

async function value(metric: { get(): Promise<{ values: { labels: Record<string, unknown>; value: number; metricName?: string }[] }> }, labels: Record<string, string>, name?: string) {
  const v = (await metric.get()).values.find((x) => (!name || x.metricName === name) && Object.entries(labels).every(([k, l]) => x.labels[k] === l));
  return v?.value ?? 0;
}

test("transitions move the counters of the task's queue; attempt 0 scheduling is not a retry", async () => {
  const m = createInstruments();
  const tp = new Throughput();
  recordBatch(m, tp, batch([{ id: "t1", status: "created", attempt: 0 }, { id: "t1", status: "scheduled", attempt: 0 }], [row({})]));
  recordBatch(m, tp, batch([{ id: "t1", status: "cancelled", attempt: 0 }], [row({ status: "cancelled" })]));
  recordBatch(m, tp, batch([{ id: "t1", status: "scheduled", attempt: 0 }], [row({})]));
  expect(await value(m.submitted, { queue: "mail" })).toBe(1);
  expect(await value(m.cancelled, { queue: "mail" })).toBe(1);
  expect(await value(m.retried, { queue: "mail" })).toBe(0);
  expect(tp.series().at(-1)!.submitted).toBe(1);
});

test("run time and dispatch lag come from the current attempt's row", async () => {
  const m = createInstruments();
  const tp = new Throughput();
  const running = row({ status: "running", attempt: 1, runAt: t0, startedAt: at(250) });
  recordBatch(m, tp, batch([{ id: "t1", status: "running", attempt: 1 }], [running]));
  expect(await value(m.dispatchLag, { queue: "mail" }, "taskflow_dispatch_lag_seconds_sum")).toBeCloseTo(0.25);
  // Failed with a retry left: the row is back to scheduled, started_at kept, updated_at = when the result was written.
  const retried = row({ status: "scheduled", attempt: 1, runAt: at(60_000), startedAt: at(250), updatedAt: at(2250) });
  recordBatch(m, tp, batch([{ id: "t1", status: "scheduled", attempt: 1 }], [retried]));
  expect(await value(m.retried, { queue: "mail" })).toBe(1);
  expect(await value(m.attemptDuration, { queue: "mail", outcome: "failed" }, "taskflow_attempt_duration_seconds_sum")).toBeCloseTo(2);
  const done = row({ status: "completed", attempt: 2, runAt: at(60_000), startedAt: at(60_100), finishedAt: at(63_100) });
  recordBatch(m, tp, batch([{ id: "t1", status: "running", attempt: 2 }, { id: "t1", status: "completed", attempt: 2 }], [done]));
  expect(await value(m.completed, { queue: "mail" })).toBe(1);
  expect(await value(m.attemptDuration, { queue: "mail", outcome: "completed" }, "taskflow_attempt_duration_seconds_sum")).toBeCloseTo(3);
  expect(await value(m.dispatchLag, { queue: "mail" }, "taskflow_dispatch_lag_seconds_count")).toBe(2);
});

test("a row that already moved on to a later attempt is not measured; a user's retry is not measured again", async () => {
  const m = createInstruments();
  const tp = new Throughput();
  const later = row({ status: "picked", attempt: 3, startedAt: null });
  recordBatch(m, tp, batch([{ id: "t1", status: "running", attempt: 2 }, { id: "t1", status: "failed", attempt: 2 }], [later]));
  expect(await value(m.failed, { queue: "mail" })).toBe(1);
  expect(await value(m.dispatchLag, { queue: "mail" }, "taskflow_dispatch_lag_seconds_count")).toBe(0);
  expect(await value(m.attemptDuration, { queue: "mail", outcome: "failed" }, "taskflow_attempt_duration_seconds_count")).toBe(0);
  const userRetry = row({ status: "scheduled", attempt: 2, startedAt: null });
  recordBatch(m, tp, batch([{ id: "t1", status: "scheduled", attempt: 2 }], [userRetry]));
  expect(await value(m.retried, { queue: "mail" })).toBe(1);
  expect(await value(m.attemptDuration, { queue: "mail", outcome: "failed" }, "taskflow_attempt_duration_seconds_count")).toBe(0);
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
