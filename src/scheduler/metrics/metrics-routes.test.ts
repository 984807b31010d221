import { afterAll, beforeAll, expect, test } from "bun:test";
import { insertTask, insertTasks, registerWorker } from "../../../test/support/factories.ts";
import { parsePrometheusText, sampleValue } from "../../../test/support/prometheus-text.ts";
import { openSecuredApp, type SecuredApp } from "../../../test/security/support.ts";

let s: SecuredApp;
beforeAll(async () => {
  s = await openSecuredApp([]);
});
afterAll(() => s.close());

test("/metrics parses strictly and reports live tasks, lag and workers by their labels", async () => {
  await insertTasks(s.database.db, 2, { queue: "mail" });
  await insertTask(s.database.db, { queue: "video", status: "running" });
  await registerWorker(s.database.db, { coordinator: "127.0.0.1:50051" });
  // Label values that need escaping stay well-formed.
  await s.send("GET", '/no/"such"\\route');
  const res = await s.send("GET", "/metrics");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  const m = parsePrometheusText(await res.text());
  expect(sampleValue(m, "taskflow_tasks", { queue: "mail", status: "scheduled" })).toBe(2);
  expect(sampleValue(m, "taskflow_running_attempts", { queue: "video" })).toBe(1);
  expect(sampleValue(m, "taskflow_queue_lag_seconds", { queue: "mail" })).toBeGreaterThan(0.5);
  expect(sampleValue(m, "taskflow_workers", { status: "alive" })).toBe(1);
  expect(sampleValue(m, "taskflow_grpc_connected_workers", { coordinator: "127.0.0.1:50051" })).toBe(1);
  expect(sampleValue(m, "taskflow_http_requests_total", { method: "GET", route: "unmatched", status: "404" })).toBe(1);
  expect(sampleValue(m, "taskflow_database_up")).toBe(1);
  expect(m.get("taskflow_attempt_duration_seconds")!.type).toBe("histogram");
  expect(m.get("taskflow_tasks_completed_total")!.type).toBe("counter");
});

test("with the database gone, /metrics and /api/metrics still answer and say so", async () => {
  const other = await openSecuredApp([]);
  await other.feed.stop();
  await other.database.close();
  const prom = await other.send("GET", "/metrics");
  expect(prom.status).toBe(200);
  const m = parsePrometheusText(await prom.text());
  expect(sampleValue(m, "taskflow_database_up")).toBe(0);
  expect(sampleValue(m, "process_resident_memory_bytes")).toBeGreaterThan(0);
  const json = await other.send("GET", "/api/metrics");
  expect(json.status).toBe(200);
  expect((await json.json()).database_up).toBe(false);
});

test("/api/metrics: the heap is part of the resident memory, and each group of counts says when it was counted", async () => {
  const res = await s.send("GET", "/api/metrics");
  const body = (await res.json()) as {
    generated_at: string;
    tasks: { counted_at: { live: string; finished: string } };
    process: { resident_memory_bytes: number; heap_used_bytes: number; heap_total_bytes: number; external_bytes: number };
  };
  const p = body.process;
  // Under Bun, memoryUsage().heapUsed includes PGlite's WebAssembly memory and can exceed the RSS.
  expect(p.heap_used_bytes).toBeGreaterThan(0);
  expect(p.heap_used_bytes).toBeLessThan(p.resident_memory_bytes);
  expect(p.heap_total_bytes).toBeGreaterThan(0);
  expect(p.external_bytes).toBeGreaterThan(0);
  const generated = Date.parse(body.generated_at);
  const { live, finished } = body.tasks.counted_at;
  expect(generated - Date.parse(live)).toBeGreaterThanOrEqual(0);
  expect(generated - Date.parse(live)).toBeLessThan(1500);
  expect(generated - Date.parse(finished)).toBeGreaterThanOrEqual(0);
  expect(generated - Date.parse(finished)).toBeLessThan(16_000);
});
