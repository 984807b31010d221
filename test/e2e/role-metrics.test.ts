/**
 * Metrics where the work happens, on real processes: a scheduler+coordinator and two
 * workers, each with its own --metrics address and a token. Each worker counts only
 * what it ran, so the two workers' counters summed equal the tasks run (and their
 * output bytes); the coordinator counts the claims, dispatches, sessions and heartbeats.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { parsePrometheusText, sampleValue, type Family } from "../support/prometheus-text.ts";
import { freePort, startTaskflow, waitFor, waitReady, type TaskflowProcess } from "../support/processes.ts";
import { migratedDataDirFlag } from "../support/databases.ts";

const TOKEN = `tok-${crypto.randomUUID()}`;
const auth = { authorization: `Bearer ${TOKEN}` };
const TASKS = 24;
/** Every third task fails (exit 1, no retries); each prints exactly 100 bytes. */
const failing = (i: number) => i % 3 === 0;

const started: TaskflowProcess[] = [];
let api: string;
let coordinatorMetrics: string;
const workerMetrics: string[] = [];

beforeAll(async () => {
  const http = freePort();
  const grpc = freePort();
  api = `http://127.0.0.1:${http}`;
  const env = { env: { TASKFLOW_TOKEN: TOKEN } };
  const cm = freePort();
  coordinatorMetrics = `http://127.0.0.1:${cm}/metrics`;
  // The default worker timeout (10 s), not a short one: the embedded database runs on the coordinator's thread, and on
  // a loaded machine its passes stalled for 2–5 s, so workers with a 2 s timeout dropped their sessions and the
  // attempts dispatched meanwhile failed as lost (max_retries 0), which this test does not count.
  const server = startTaskflow(["--role=scheduler,coordinator", await migratedDataDirFlag(), `--http=127.0.0.1:${http}`, `--grpc=127.0.0.1:${grpc}`, `--metrics=127.0.0.1:${cm}`, "--heartbeat=200"], env);
  started.push(server);
  await waitReady(api, undefined, 30_000).catch(async () => {
    await waitFor(`the scheduler; output:\n${server.output()}`, async () => (await fetch(`${api}/readyz`, { headers: auth })).status === 200, 30_000);
  });
  for (const name of ["w1", "w2"]) {
    const port = freePort();
    workerMetrics.push(`http://127.0.0.1:${port}/metrics`);
    started.push(startTaskflow(["--role=worker", `--coordinator=127.0.0.1:${grpc}`, `--name=${name}`, "--concurrency=2", `--metrics=127.0.0.1:${port}`, "--heartbeat=200"], env));
  }
  await waitFor("two live workers", async () => {
    const r = await fetch(`${api}/api/workers`, { headers: auth });
    return r.status === 200 && ((await r.json()).workers as { status: string }[]).filter((w) => w.status === "alive").length === 2;
  }, 30_000);
}, 60_000);

afterAll(async () => {
  for (const p of started) p.kill("SIGKILL");
  await Promise.all(started.map((p) => p.exited));
});

async function scrape(url: string): Promise<Map<string, Family>> {
  const r = await fetch(url, { headers: auth });
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
  return parsePrometheusText(await r.text());
}

/** Every series of `name` with these labels, over every scrape, added up: what `sum(...)` in PromQL gives. */
const sum = (families: Map<string, Family>[], name: string, labels: Record<string, string> = {}) =>
  families
    .flatMap((f) => [...f.values()].flatMap((family) => family.samples))
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((n, s) => n + s.value, 0);

test("two workers' /metrics summed equal the tasks run; the coordinator's count claims, dispatches and sessions", async () => {
  expect((await fetch(workerMetrics[0]!)).status).toBe(401);
  expect((await fetch(coordinatorMetrics, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
  const tasks = Array.from({ length: TASKS }, (_, i) => ({
    name: `metered-${i}`,
    // printf of 100 bytes: 99 characters and a newline.
    command: `printf '%099d\\n' 0${failing(i) ? "; exit 1" : "; sleep 0.05"}`,
    max_retries: 0,
  }));
  const submitted = await fetch(`${api}/api/tasks/batch`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ tasks }) });
  expect(submitted.status).toBe(201);
  const ids: string[] = (await submitted.json()).tasks.map((t: { id: string }) => t.id);
  await waitFor("every task to finish", async () => {
    const done = await Promise.all(ids.map(async (id) => (await (await fetch(`${api}/api/tasks/${id}`, { headers: auth })).json()).status));
    return done.every((s) => s === "completed" || s === "failed");
  }, 60_000, 200);
  const failures = tasks.filter((_, i) => failing(i)).length;

  const workers = await waitFor("both workers to have counted every task", async () => {
    const w = await Promise.all(workerMetrics.map(scrape));
    return sum(w, "taskflow_worker_tasks_total") === TASKS ? w : null;
  }, 30_000, 100);
  expect(sum(workers, "taskflow_worker_tasks_total", { outcome: "completed" })).toBe(TASKS - failures);
  expect(sum(workers, "taskflow_worker_tasks_total", { outcome: "failed" })).toBe(failures);
  expect(sum(workers, "taskflow_worker_run_seconds_count")).toBe(TASKS);
  expect(sum(workers, "taskflow_worker_spawn_seconds_count")).toBe(TASKS);
  expect(sum(workers, "taskflow_worker_output_bytes_total")).toBe(TASKS * 100);
  // Both did some of the work, each counting only its own.
  for (const w of workers) expect(sampleValue(w, "taskflow_worker_tasks_total", { outcome: "completed" }) ?? 0).toBeGreaterThan(0);
  expect(workers.map((w) => sampleValue(w, "taskflow_worker_slots"))).toEqual([2, 2]);
  expect(workers.map((w) => sampleValue(w, "taskflow_worker_running"))).toEqual([0, 0]);
  expect(workers.map((w) => sampleValue(w, "taskflow_worker_connected"))).toEqual([1, 1]);
  for (const w of workers) {
    expect(sampleValue(w, "process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(sampleValue(w, "taskflow_event_loop_lag_seconds", { quantile: "0.99" })).toBeGreaterThanOrEqual(0);
  }

  const c = await scrape(coordinatorMetrics);
  expect(sampleValue(c, "taskflow_coordinator_claims_total", { queue: "default" })).toBe(TASKS);
  expect(sampleValue(c, "taskflow_coordinator_dispatches_total", { queue: "default", result: "sent" })).toBe(TASKS);
  expect(sampleValue(c, "taskflow_coordinator_dispatch_lag_seconds_count", { queue: "default" })).toBe(TASKS);
  expect(sampleValue(c, "taskflow_coordinator_sessions")).toBe(2);
  expect(sampleValue(c, "taskflow_coordinator_worker_messages_total", { type: "finished" })).toBe(TASKS);
  expect(sampleValue(c, "taskflow_coordinator_heartbeats_total")).toBeGreaterThan(0);
  expect(sampleValue(c, "taskflow_coordinator_free_slots", { queue: "default" })).toBe(4);
  // The coordinator's address serves only its own (and the process's) metrics, not the scheduler's cluster gauges.
  expect(sampleValue(c, "taskflow_tasks_submitted_total", { queue: "default" })).toBeUndefined();
}, 120_000);
