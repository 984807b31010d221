/**
 * Webhooks end to end on real processes (a scheduler+coordinator, separate workers)
 * and a real receiver (Bun.serve on loopback, reachable because the processes run
 * with --webhook-allow-private): one signed task.failed after the retries; schedule
 * failures then recovery; a worker killed and declared dead; a coordinator killed in
 * the middle of a delivery, whose delivery still arrives; and, without the flag, a
 * loopback webhook refused at creation.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verifyWebhook } from "../../src/coordinator/webhooks/signature.ts";
import { createPostgresDatabase, migratedDataDirFlag, TEST_DATABASE_URL } from "../support/databases.ts";
import { freePort, startTaskflow, waitFor, waitReady, type TaskflowProcess } from "../support/processes.ts";

const SECRET = "whsec-e2e";
const TIMING = ["--heartbeat=200", "--worker-timeout=1500"];

interface Received {
  path: string;
  headers: Headers;
  body: string;
  json: any;
}

const started: TaskflowProcess[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
let received: Received[] = [];
/** Paths whose requests hang (never answered) until released. */
const hanging = new Set<string>();
let receiver: ReturnType<typeof Bun.serve>;
let dataDir: string;
let databaseArgs: string[];
let api: string;
let grpc: number;
let server: TaskflowProcess;

function start(args: string[]): TaskflowProcess {
  const p = startTaskflow([...args, ...TIMING]);
  started.push(p);
  return p;
}

function startServer(): TaskflowProcess {
  return start(["--role=scheduler,coordinator", ...databaseArgs, `--http=${new URL(api).host}`, `--grpc=127.0.0.1:${grpc}`, "--webhook-allow-private"]);
}

beforeAll(async () => {
  receiver = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (req) => {
      const path = new URL(req.url).pathname;
      const body = await req.text();
      received.push({ path, headers: req.headers, body, json: JSON.parse(body) });
      if (hanging.has(path)) await new Promise(() => {});
      return new Response("ok");
    },
  });
  dataDir = mkdtempSync(join(tmpdir(), "taskflow-webhooks-"));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  if (TEST_DATABASE_URL) {
    const created = await createPostgresDatabase();
    cleanups.push(created.drop);
    databaseArgs = [`--database-url=${created.url}`];
  } else databaseArgs = [`--data-dir=${dataDir}`];
  api = `http://127.0.0.1:${freePort()}`;
  grpc = freePort();
  server = startServer();
  await waitReady(api, server, 30_000);
  start(["--role=worker", `--coordinator=127.0.0.1:${grpc}`, "--name=steady", "--concurrency=4"]);
  await waitFor("a live worker", async () => (await call("GET", "/api/workers")).workers.some((w: any) => w.status === "alive"), 20_000);
}, 60_000);

afterAll(async () => {
  for (const p of started) p.kill("SIGKILL");
  await Promise.all(started.map((p) => p.exited));
  receiver.stop(true);
  for (const c of cleanups) await c();
});

async function call(method: string, path: string, body?: unknown, base = api): Promise<any> {
  const r = await fetch(`${base}${path}`, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await r.json();
  if (r.status >= 300) throw Object.assign(new Error(`${method} ${path} answered ${r.status}: ${JSON.stringify(json)}`), { status: r.status, json });
  return json;
}

const hookUrl = (path: string) => `http://127.0.0.1:${receiver.port}${path}`;
const at = (path: string, event?: string) => received.filter((r) => r.path === path && (!event || r.json.event === event));

test("a task that fails after its retries delivers exactly one task.failed, validly signed", async () => {
  const hook = await call("POST", "/api/webhooks", { url: hookUrl("/failures"), events: ["task.failed", "task.retrying"], secret: SECRET, filter: { name_prefix: "flaky-" } });
  const task = await call("POST", "/api/tasks", { name: "flaky-export", command: "echo trying; exit 3", max_retries: 2, backoff_ms: 50, env: { API_KEY: "never-sent" } });
  await call("POST", "/api/tasks", { name: "other", command: "exit 1", max_retries: 0 });
  const [failed] = await waitFor("task.failed at the receiver", () => (at("/failures", "task.failed").length ? at("/failures", "task.failed") : null), 30_000);
  // Time for a duplicate to show up, if the outbox or the sender ever made one.
  await Bun.sleep(2500);
  expect(at("/failures", "task.failed")).toHaveLength(1);
  expect(at("/failures", "task.retrying").map((r) => r.json.attempt)).toEqual([1, 2]);
  expect(at("/failures").every((r) => r.json.task.id === task.id)).toBe(true);
  const ts = Number(failed!.headers.get("x-taskflow-timestamp"));
  expect(Math.abs(Date.now() / 1000 - ts)).toBeLessThan(60);
  expect(verifyWebhook(SECRET, ts, failed!.body, failed!.headers.get("x-taskflow-signature")!)).toBe(true);
  expect(failed!.json).toMatchObject({ event: "task.failed", webhook_id: hook.id, task: { name: "flaky-export", status: "failed", attempt: 3, exit_code: 3, env_keys: ["API_KEY"] } });
  expect(failed!.body).not.toContain("never-sent");
  const { deliveries } = await call("GET", `/api/webhooks/${hook.id}/deliveries`);
  const mine = deliveries.find((d: any) => d.id === failed!.json.id);
  expect(mine).toMatchObject({ event: "task.failed", status: "delivered", attempts: 1, attempt_log: [{ attempt: 1, status_code: 200, response_snippet: "ok" }] });
}, 60_000);

test("a schedule that fails twice then succeeds fires schedule.failed twice and schedule.recovered once", async () => {
  const counter = join(dataDir, "runs");
  await call("POST", "/api/webhooks", { url: hookUrl("/schedules"), events: ["schedule.failed", "schedule.recovered"] });
  const command = `n=$(cat ${counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${counter}; [ $n -ge 3 ]`;
  const schedule = await call("POST", "/api/schedules", { name: "recovering", cron: "* * * * * *", task: { command, max_retries: 0 } });
  await waitFor("two successful runs after the recovery", async () => {
    const { tasks } = await call("GET", `/api/tasks?status=completed&limit=10`);
    return tasks.filter((t: any) => t.schedule_id === schedule.id).length >= 2;
  }, 30_000);
  await call("PATCH", `/api/schedules/${schedule.id}`, { paused: true });
  await waitFor("the recovery delivery", () => at("/schedules", "schedule.recovered").length === 1, 10_000);
  await Bun.sleep(1500);
  expect(at("/schedules").map((r) => r.json.event)).toEqual(["schedule.failed", "schedule.failed", "schedule.recovered"]);
  expect(at("/schedules").every((r) => r.json.task.schedule_id === schedule.id)).toBe(true);
}, 60_000);

test("a worker killed without a word is announced as worker.dead; one that stops politely is not", async () => {
  await call("POST", "/api/webhooks", { url: hookUrl("/workers"), events: ["worker.dead"] });
  const doomed = start(["--role=worker", `--coordinator=127.0.0.1:${grpc}`, "--name=doomed", "--queues=doomed"]);
  const polite = start(["--role=worker", `--coordinator=127.0.0.1:${grpc}`, "--name=polite", "--queues=doomed"]);
  await waitFor("both workers alive", async () => (await call("GET", "/api/workers")).workers.filter((w: any) => w.status === "alive" && w.queues.includes("doomed")).length === 2, 20_000);
  polite.kill("SIGTERM");
  expect(await polite.exited).toBe(0);
  doomed.kill("SIGKILL");
  const [dead] = await waitFor("worker.dead", () => (at("/workers").length ? at("/workers") : null), 20_000);
  await Bun.sleep(1000);
  expect(at("/workers").map((r) => r.json.worker.name)).toEqual(["doomed"]);
  expect(dead!.json.text).toContain("worker doomed");
}, 60_000);

test("a coordinator killed in the middle of a delivery: the delivery still arrives, with the same id", async () => {
  hanging.add("/hang");
  await call("POST", "/api/webhooks", { url: hookUrl("/hang"), events: ["task.completed"], filter: { queue: "hang" } });
  const worker = start(["--role=worker", `--coordinator=127.0.0.1:${grpc}`, "--name=hang-worker", "--queues=hang"]);
  await call("POST", "/api/tasks", { name: "announced", command: "true", queue: "hang" });
  const [first] = await waitFor("the first (hanging) delivery", () => (at("/hang").length ? at("/hang") : null), 30_000);
  server.kill("SIGKILL");
  await server.exited;
  hanging.delete("/hang");
  server = startServer();
  await waitReady(api, server, 30_000);
  // The dead coordinator's lease (10 s send limit + 5 s) runs out, then the new one sends it again.
  const [, second] = await waitFor("the delivery again", () => (at("/hang").length >= 2 ? at("/hang") : null), 40_000);
  expect(second!.json.id).toBe(first!.json.id);
  expect(second!.json.event).toBe("task.completed");
  worker.kill("SIGKILL");
}, 90_000);

test("without --webhook-allow-private, a webhook to 127.0.0.1 is refused at creation with 422", async () => {
  const http = freePort();
  const strict = start(["--role=scheduler,coordinator", await migratedDataDirFlag(), `--http=127.0.0.1:${http}`, `--grpc=127.0.0.1:${freePort()}`]);
  await waitReady(`http://127.0.0.1:${http}`, strict, 30_000);
  const err = await call("POST", "/api/webhooks", { url: hookUrl("/nope"), events: ["task.failed"] }, `http://127.0.0.1:${http}`).catch((e) => e);
  expect(err.status).toBe(422);
  expect(err.json.details).toEqual([{ path: "/url", message: expect.stringContaining("--webhook-allow-private") }]);
}, 60_000);
