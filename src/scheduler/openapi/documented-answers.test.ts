/**
 * Real answers of the JSON routes, from app.handle on a real database, checked
 * against what /openapi.json says about them: the status is documented for the
 * route, and the body matches the schema the route documents for it (the TypeBox
 * schema itself, from the route's `detail`), with no field the schema leaves out.
 * Errors are checked against the shared error shape.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { TSchema } from "@sinclair/typebox";
import { sql } from "drizzle-orm";
import { Value } from "@sinclair/typebox/value";
import { describeEachBackend, openTestDatabase } from "../../../test/support/databases.ts";
import { insertTask, registerWorker } from "../../../test/support/factories.ts";
import { taskAttempts, taskEvents, workers } from "../../db/schema/index.ts";
import { ErrorBodySchema } from "../http-errors.ts";
import { buildTestApp, taskBody, SchedulerTestApp, type JsonAnswer } from "../../../test/support/scheduler-app.ts";
import { openapiDocument } from "./routes.ts";
import { appendOutputChunks } from "../../db/queries/append-output-chunks.ts";

type App = ReturnType<typeof buildTestApp>;
type LooseRoute = { method: string; path: string; hooks?: { detail?: { responses?: Record<string, any> } } };

/** Asserts `answer` to `method route` (an Elysia path, `:id`) is what the document and the route's schemas say. */
function expectDocumented(app: App, method: string, route: string, answer: JsonAnswer): void {
  const where = `${method} ${route} → ${answer.status}`;
  const op = (openapiDocument(app).paths as Record<string, Record<string, { responses: Record<string, unknown> }>>)[
    route.replace(/:([^/]+)/g, "{$1}")
  ]?.[method.toLowerCase()];
  expect({ where, documented: Boolean(op?.responses[String(answer.status)]) }).toEqual({ where, documented: true });
  const found = (app.routes as LooseRoute[]).find((r) => r.method === method && r.path === route);
  const schema: TSchema | undefined =
    answer.status >= 400 ? ErrorBodySchema : found?.hooks?.detail?.responses?.[answer.status]?.content?.["application/json"]?.schema;
  expect({ where, schema: Boolean(schema) }).toEqual({ where, schema: true });
  const problems = [...Value.Errors(schema!, answer.body)].map((e) => `${e.path}: ${e.message}`);
  expect({ where, problems }).toEqual({ where, problems: [] });
  // Value.Clean drops what the schema does not name: nothing may be dropped.
  expect(Value.Clean(schema!, structuredClone(answer.body))).toEqual(answer.body);
}

describeEachBackend("answers match the documented schemas", (backend) => {
  let api: SchedulerTestApp;
  beforeAll(async () => {
    api = await SchedulerTestApp.open(backend);
  });
  afterAll(() => api.close());

  const check = async (method: string, route: string, path: string, body?: unknown) => {
    const answer = await api.request(method, path, body);
    expectDocumented(api.app, method, route, answer);
    return answer;
  };

  test("tasks: create, batch, list, detail, cancel, retry, and their errors", async () => {
    const created = await check("POST", "/api/tasks", "/api/tasks", taskBody({ env: { A: "1" }, timeout_ms: 5000, idempotency_key: "k1" }));
    expect(created.status).toBe(201);
    expect((await check("POST", "/api/tasks", "/api/tasks", taskBody({ idempotency_key: "k1" }))).status).toBe(200);
    expect((await check("POST", "/api/tasks", "/api/tasks", { name: "" })).status).toBe(422);
    expect((await check("POST", "/api/tasks", "/api/tasks", "{")).status).toBe(400);
    expect((await check("POST", "/api/tasks/batch", "/api/tasks/batch", { tasks: [taskBody(), taskBody({ queue: "io" })] })).status).toBe(201);
    const lean = await api.post("/api/tasks/batch", { tasks: [taskBody()] }, { prefer: "return=minimal" });
    expectDocumented(api.app, "POST", "/api/tasks/batch", lean);
    expect(Object.keys(lean.body)).toEqual(["ids"]);

    const page = await check("GET", "/api/tasks", "/api/tasks?limit=1");
    expect(page.body.next_cursor).toEqual(expect.any(String));
    const last = await check("GET", "/api/tasks", `/api/tasks?limit=500&status=scheduled,created&cursor=${page.body.next_cursor}`);
    expect(last.body.next_cursor).toBeNull();
    expect((await check("GET", "/api/tasks", "/api/tasks?limit=0&status=nope")).status).toBe(422);

    const failed = await insertTask(api.db, { status: "failed", attempt: 1, worker: "w1", finishedAt: new Date(), exitCode: 2, error: "exit 2" });
    await api.db.insert(taskAttempts).values({ taskId: failed.id, attempt: 1, worker: "w1", status: "failed", startedAt: new Date(), finishedAt: new Date(), exitCode: 2, error: "exit 2", stdoutTail: "out", stderrTail: "" });
    await api.db.insert(taskEvents).values([
      { taskId: failed.id, attempt: 0, status: "scheduled" },
      { taskId: failed.id, attempt: 1, status: "failed", worker: "w1", message: "exit 2" },
    ]);
    const detail = await check("GET", "/api/tasks/:id", `/api/tasks/${failed.id}`);
    expect([detail.body.attempts.length, detail.body.events.length]).toEqual([1, 2]);
    expect((await check("GET", "/api/tasks/:id", `/api/tasks/${crypto.randomUUID()}`)).status).toBe(404);

    expect((await check("POST", "/api/tasks/:id/retry", `/api/tasks/${failed.id}/retry`)).status).toBe(200);
    expect((await check("POST", "/api/tasks/:id/retry", `/api/tasks/${failed.id}/retry`)).status).toBe(409);
    expect((await check("POST", "/api/tasks/:id/cancel", `/api/tasks/${created.body.id}/cancel`)).status).toBe(200);
    expect((await check("POST", "/api/tasks/:id/cancel", `/api/tasks/${created.body.id}/cancel`)).status).toBe(409);
    expect((await check("GET", "/api/tasks/:id", `/api/tasks/${created.body.id}`)).body.status).toBe("cancelled");
  });

  test("schedules: create, list, get, patch, delete, and their errors", async () => {
    const body = { name: "nightly", cron: "0 3 * * *", timezone: "Europe/Berlin", task: { command: "backup.sh", env: { A: "1" } } };
    const created = await check("POST", "/api/schedules", "/api/schedules", body);
    expect(created.status).toBe(201);
    expect(created.body.next_runs).toHaveLength(5);
    expect((await check("POST", "/api/schedules", "/api/schedules", { ...body, cron: "61 * * * *" })).status).toBe(422);
    const one = `/api/schedules/${created.body.id}`;
    expect((await check("GET", "/api/schedules", "/api/schedules")).body.schedules).toHaveLength(1);
    expect((await check("GET", "/api/schedules/:id", one)).status).toBe(200);
    const paused = await check("PATCH", "/api/schedules/:id", one, { paused: true, task: { name: "backup", command: "backup.sh" } });
    expect([paused.body.paused, paused.body.next_run_at]).toEqual([true, null]);
    expect((await check("PATCH", "/api/schedules/:id", one, { paused: "yes" })).status).toBe(422);
    expect((await check("PATCH", "/api/schedules/:id", one, { overlap: "replace", catch_up: "all", catch_up_max: 3, task: { command: "b", concurrency_key: "k" } })).status).toBe(200);
    expect((await check("POST", "/api/schedules/:id/run", `${one}/run`)).status).toBe(201);
    expect((await check("GET", "/api/schedules/:id/ticks", `${one}/ticks`)).body.ticks).toHaveLength(1);
    expect((await check("GET", "/api/schedules/:id/ticks", `/api/schedules/${crypto.randomUUID()}/ticks`)).status).toBe(404);
    expect((await check("DELETE", "/api/schedules/:id", one)).status).toBe(200);
    expect((await check("GET", "/api/schedules/:id", one)).status).toBe(404);
  });

  test("webhooks: create, list, get, patch, deliveries, delete, and their errors", async () => {
    const created = await check("POST", "/api/webhooks", "/api/webhooks", { url: "http://93.184.215.14/hook", events: ["task.completed"], secret: "s" });
    expect(created.status).toBe(201);
    expect((await check("POST", "/api/webhooks", "/api/webhooks", { url: "http://127.0.0.1/", events: ["task.failed"] })).status).toBe(422);
    const one = `/api/webhooks/${created.body.id}`;
    expect((await check("GET", "/api/webhooks", "/api/webhooks")).body.webhooks).toHaveLength(1);
    expect((await check("GET", "/api/webhooks/:id", one)).status).toBe(200);
    expect((await check("PATCH", "/api/webhooks/:id", one, { enabled: false })).body.enabled).toBe(false);
    await check("PATCH", "/api/webhooks/:id", one, { enabled: true });
    const task = await check("POST", "/api/tasks", "/api/tasks", taskBody());
    await api.db.execute(sql`update tasks set status = 'completed' where id = ${task.body.id}`);
    await api.db.execute(sql`insert into task_events (task_id, attempt, status) values (${task.body.id}, 1, 'completed')`);
    await api.db.execute(sql`insert into webhook_delivery_attempts (delivery_id, attempt, started_at, duration_ms, status_code, error, response_snippet)
      select id, 1, now(), 12, 500, 'the receiver answered 500', 'boom' from webhook_deliveries`);
    const deliveries = await check("GET", "/api/webhooks/:id/deliveries", `${one}/deliveries`);
    expect(deliveries.body.deliveries[0].attempt_log).toHaveLength(1);
    expect((await check("GET", "/api/webhooks/:id/deliveries", `${one}/deliveries?limit=x`)).status).toBe(422);
    expect((await check("DELETE", "/api/webhooks/:id", one)).status).toBe(200);
    expect((await check("GET", "/api/webhooks/:id", one)).status).toBe(404);
  });

  test("queues and flow-control fields: list, pause, resume, waiting_reason, depends_on", async () => {
    const parent = await check("POST", "/api/tasks", "/api/tasks", taskBody({ queue: "mail", concurrency_key: "k", concurrency_limit: 2 }));
    const child = await check("POST", "/api/tasks", "/api/tasks", taskBody({ depends_on: [parent.body.id], on_dependency_failure: "run" }));
    const detail = await check("GET", "/api/tasks/:id", `/api/tasks/${child.body.id}`);
    expect(detail.body.depends_on).toEqual([parent.body.id]);
    expect(detail.body.waiting_reason).toStartWith("waiting for 1 task");
    expect((await check("POST", "/api/tasks", "/api/tasks", taskBody({ depends_on: [crypto.randomUUID()] }))).status).toBe(422);
    expect((await check("GET", "/api/queues", "/api/queues")).body.queues.length).toBeGreaterThan(0);
    expect((await check("POST", "/api/queues/:name/pause", "/api/queues/mail/pause")).body.paused).toBe(true);
    expect((await check("POST", "/api/queues/:name/resume", "/api/queues/mail/resume")).body.paused).toBe(false);
    expect((await check("POST", "/api/queues/:name/pause", "/api/queues/NO/pause")).status).toBe(404);
  });

  test("workers, metrics and health", async () => {
    await registerWorker(api.db, { queues: ["default", "io"] });
    await registerWorker(api.db, { draining: true });
    await api.db.insert(workers).values({ name: "gone", host: "h", status: "dead", queues: ["default"], concurrency: 1, version: "0.1.0", stoppedAt: new Date() });
    expect((await check("GET", "/api/workers", "/api/workers")).body.workers).toHaveLength(3);
    const metrics = await check("GET", "/api/metrics", "/api/metrics");
    expect(metrics.body.tasks.by_queue.length).toBeGreaterThan(0);
    expect((await check("GET", "/healthz", "/healthz")).status).toBe(200);
    expect((await check("GET", "/readyz", "/readyz")).status).toBe(200);
  });

  test("/readyz on a database without migrations answers 503 with the error shape", async () => {
    const bare = await openTestDatabase(backend, { migrated: false });
    try {
      const app = buildTestApp(bare);
      const res = await app.handle(new Request("http://localhost/readyz"));
      expectDocumented(app, "GET", "/readyz", { status: res.status, body: await res.json(), headers: res.headers });
      expect(res.status).toBe(503);
    } finally {
      await bare.close();
    }
  });

  test("logs: an attempt's log as JSON, and its errors", async () => {
    const workerId = await registerWorker(api.db);
    const t = await insertTask(api.db, { status: "running", attempt: 1, workerId, worker: "w" });
    await api.db.insert(taskAttempts).values({ taskId: t.id, attempt: 1, workerId, worker: "w", status: "running", startedAt: new Date() });
    await appendOutputChunks(api.db, [{ taskId: t.id, attempt: 1, workerId, stream: "stdout", offset: 0, data: new TextEncoder().encode("hello\n") }], 1024 * 1024);
    const log = await check("GET", "/api/tasks/:id/attempts/:n/log", `/api/tasks/${t.id}/attempts/1/log?format=json`);
    expect(log.body).toMatchObject({ text: "hello\n", next_offset: 6, complete: false });
    expect((await check("GET", "/api/tasks/:id/log", `/api/tasks/${t.id}/log?format=json&stream=stdout`)).body.text).toBe("hello\n");
    expect((await check("GET", "/api/tasks/:id/log", `/api/tasks/${t.id}/log?format=json&limit=0`)).status).toBe(422);
    expect((await check("GET", "/api/tasks/:id/attempts/:n/log", `/api/tasks/${t.id}/attempts/9/log?format=json`)).status).toBe(404);
  });
});
