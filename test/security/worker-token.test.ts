/**
 * Separate credentials: with --worker-token the coordinator's gRPC stream
 * accepts only the worker token, and the HTTP API refuses it, so a compromised
 * worker host cannot submit commands to the fleet. Task events record who acted.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { parseConfig } from "../../src/config/config.ts";
import { freePort, startTaskflow, waitFor, type TaskflowProcess } from "../support/processes.ts";
import { migratedDataDirFlag } from "../support/databases.ts";

const API_TOKEN = `api-${crypto.randomUUID()}`;
const WORKER_TOKEN = `wrk-${crypto.randomUUID()}`;
const procs: TaskflowProcess[] = [];
let api: string;
let grpcPort: number;
const auth = (t: string) => ({ authorization: `Bearer ${t}` });

beforeAll(async () => {
  const http = freePort();
  grpcPort = freePort();
  api = `http://127.0.0.1:${http}`;
  const core = startTaskflow(["--role=scheduler,coordinator", await migratedDataDirFlag(), `--http=127.0.0.1:${http}`, `--grpc=127.0.0.1:${grpcPort}`], {
    env: { TASKFLOW_TOKEN: API_TOKEN, TASKFLOW_WORKER_TOKEN: WORKER_TOKEN },
  });
  procs.push(core);
  await waitFor("readyz", async () => (await fetch(`${api}/readyz`, { headers: auth(API_TOKEN) })).status === 200, 30_000);
}, 40_000);

afterAll(async () => {
  for (const p of procs) p.kill("SIGKILL");
  await Promise.all(procs.map((p) => p.exited));
});

function startWorker(name: string, env: Record<string, string>): TaskflowProcess {
  const w = startTaskflow(["--role=worker", `--name=${name}`, `--coordinator=127.0.0.1:${grpcPort}`, "--heartbeat=200", "--concurrency=1"], { env });
  procs.push(w);
  return w;
}

async function aliveWorkers(): Promise<string[]> {
  const r = await fetch(`${api}/api/workers`, { headers: auth(API_TOKEN) });
  return ((await r.json()).workers as { name: string; status: string }[]).filter((w) => w.status === "alive").map((w) => w.name);
}

test("the HTTP API refuses the worker token, everywhere", async () => {
  for (const path of ["/api/tasks", "/api/workers", "/metrics", "/api/metrics"]) {
    expect((await fetch(`${api}${path}`, { headers: auth(WORKER_TOKEN) })).status).toBe(401);
    const ok = await fetch(`${api}${path}`, { headers: auth(API_TOKEN) });
    expect(ok.status).toBe(200);
    await ok.text();
  }
  const submit = await fetch(`${api}/api/tasks`, {
    method: "POST",
    headers: { ...auth(WORKER_TOKEN), "content-type": "application/json" },
    body: JSON.stringify({ name: "from a worker", command: "true" }),
  });
  expect(submit.status).toBe(401);
});

test("gRPC accepts only the worker token: a worker holding the API token is refused", async () => {
  const withApiToken = startWorker("holds-api-token", { TASKFLOW_TOKEN: API_TOKEN });
  const withWorkerToken = startWorker("holds-worker-token", { TASKFLOW_WORKER_TOKEN: WORKER_TOKEN });
  await waitFor("the right worker to join", async () => (await aliveWorkers()).includes("holds-worker-token"), 20_000);
  await waitFor("the API-token worker to be refused", () => withApiToken.output().includes("refused this worker's token"), 20_000);
  expect(await aliveWorkers()).toEqual(["holds-worker-token"]);
  expect(withWorkerToken.output()).not.toContain("refused");
}, 40_000);

test("events record who acted: created, cancelled and retried by the api or the dashboard", async () => {
  const events = async (id: string) =>
    ((await (await fetch(`${api}/api/tasks/${id}`, { headers: auth(API_TOKEN) })).json()).events as { status: string; message: string | null }[]);
  const created = await fetch(`${api}/api/tasks`, {
    method: "POST",
    headers: { ...auth(API_TOKEN), "content-type": "application/json" },
    body: JSON.stringify({ name: "later", command: "true", delay_ms: 3_600_000 }),
  });
  const { id } = await created.json();
  expect((await fetch(`${api}/api/tasks/${id}/cancel`, { method: "POST", headers: auth(API_TOKEN) })).status).toBe(200);
  const retried = await fetch(`${api}/tasks/${id}/retry`, { method: "POST", headers: auth(API_TOKEN), redirect: "manual" });
  expect(retried.status).toBe(303);
  const byStatus = (await events(id)).map((e) => `${e.status}: ${e.message}`);
  expect(byStatus).toContain("created: created by api");
  expect(byStatus).toContain("cancelled: cancelled by api");
  expect(byStatus).toContain("scheduled: retried by dashboard (manual retry #1, a fresh budget of 4 attempts)");

  const form = await fetch(`${api}/tasks`, {
    method: "POST",
    headers: { ...auth(API_TOKEN), "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ name: "from the form", command: "true" }).toString(),
    redirect: "manual",
  });
  expect(form.status).toBe(303);
  const formId = form.headers.get("location")!.split("/").at(-1)!;
  expect((await events(formId)).map((e) => e.message)).toContain("created by dashboard");
});

test("config: --worker-token must differ from --token, and a worker refuses it on its command line", async () => {
  expect(() => parseConfig(["--role=scheduler,coordinator"], { TASKFLOW_TOKEN: API_TOKEN, TASKFLOW_WORKER_TOKEN: API_TOKEN })).toThrow(/--worker-token must differ from --token/);
  expect(() => parseConfig([], { TASKFLOW_WORKER_TOKEN: "short" })).toThrow(/--worker-token is too short/);
  // The worker token guards a network gRPC bind on its own.
  expect(parseConfig(["--role=scheduler,coordinator", "--grpc=0.0.0.0:1"], { TASKFLOW_WORKER_TOKEN: WORKER_TOKEN }).config.workerToken).toBe(WORKER_TOKEN);
  const w = startTaskflow(["--role=worker", `--worker-token=${WORKER_TOKEN}`, `--coordinator=127.0.0.1:${grpcPort}`]);
  procs.push(w);
  expect(await w.exited).toBe(2);
  expect(w.output()).toContain("--worker-token on the command line is readable by every task");
  expect(w.output()).not.toContain(WORKER_TOKEN);
});
