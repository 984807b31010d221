import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { describeEachBackend } from "../../../test/support/databases.ts";
import { parseWake, WAKE_CHANNEL } from "../../db/channels.ts";
import { tasks } from "../../db/schema/index.ts";
import { taskBody, SchedulerTestApp } from "../../../test/support/scheduler-app.ts";

describeEachBackend("POST /api/tasks", (backend) => {
  let api: SchedulerTestApp;
  beforeAll(async () => {
    api = await SchedulerTestApp.open(backend);
  });
  afterAll(() => api.close());
  beforeEach(() => api.reset());

  test("creates a task with the defaults, scheduled now, with created and scheduled events", async () => {
    const before = Date.now();
    const r = await api.post("/api/tasks", taskBody());
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      name: "hello", command: "echo hello", env: {}, queue: "default", priority: 0, max_retries: 3, backoff_ms: 1000,
      backoff_factor: 2, backoff_max_ms: 3_600_000, timeout_ms: null, idempotency_key: null, status: "scheduled", attempt: 0,
      worker: null, schedule_id: null, picked_at: null, started_at: null, finished_at: null, exit_code: null, error: null,
    });
    expect(r.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Math.abs(Date.parse(r.body.run_at) - before)).toBeLessThan(5000);
    expect((await api.get(`/api/tasks/${r.body.id}`)).body.events).toEqual([
      { status: "created", attempt: 0, at: r.body.created_at, worker: null, message: "created by api" },
      { status: "scheduled", attempt: 0, at: r.body.created_at, worker: null, message: null },
    ]);
    const [row] = await api.db.select().from(tasks).where(eq(tasks.id, r.body.id));
    expect(row!.status).toBe("scheduled");
  });

  test("keeps every field", async () => {
    const body = {
      name: "all", command: "printf '%s' \"$A\"", env: { A: "ü" }, queue: "batch_1", priority: 7, run_at: "2031-05-06T07:08:09.123+02:00",
      max_retries: 9, backoff_ms: 250, backoff_factor: 1.5, backoff_max_ms: 60_000, timeout_ms: 30_000, idempotency_key: "every-field",
    };
    const r = await api.post("/api/tasks", body);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ ...body, run_at: "2031-05-06T05:08:09.123Z" });
    const again = await api.get(`/api/tasks/${r.body.id}`);
    expect(again.body).toMatchObject({ ...body, run_at: "2031-05-06T05:08:09.123Z" });
  });

  test("the answer is the task as stored, field for field (single and batch, delay_ms and run_at)", async () => {
    const body = { name: "n", command: "c", env: { ZZ: "1", A: "2", M: "3" }, delay_ms: 1234, idempotency_key: null };
    const single = await api.post("/api/tasks", body);
    const batch = await api.post("/api/tasks/batch", { tasks: [taskBody({ run_at: "2031-01-02T03:04:05.678+01:00" }), { ...body, priority: -3 }] });
    for (const answer of [single.body, ...batch.body.tasks]) {
      // The detail adds depends_on and works out waiting_reason (a future run_at, or no worker serves the queue).
      const { attempts, events, depends_on, waiting_reason, ...stored } = (await api.get(`/api/tasks/${answer.id}`)).body;
      expect({ ...answer, waiting_reason: null }).toEqual({ ...stored, waiting_reason: null });
      expect(["run_at in the future", "no live worker serves queue default"]).toContain(waiting_reason);
      expect(depends_on).toEqual([]);
    }
  });

  test("delay_ms sets run_at that far after now (database clock)", async () => {
    const r = await api.post("/api/tasks", taskBody({ delay_ms: 3_600_000 }));
    expect(r.status).toBe(201);
    expect(Date.parse(r.body.run_at) - Date.parse(r.body.created_at)).toBe(3_600_000);
  });

  test("422 names every bad field, and nothing is written", async () => {
    const r = await api.post("/api/tasks", { name: "", command: "x", priority: 101, max_retry: 1, run_at: "2030-01-01T00:00:00Z", delay_ms: 1 });
    expect(r.status).toBe(422);
    expect(r.body.error).toBe("validation_failed");
    expect(r.body.details.map((d: { path: string }) => d.path).sort()).toEqual(["/delay_ms", "/max_retry", "/name", "/priority", "/run_at"]);
    expect(await api.count("tasks")).toBe(0);
    expect(await api.count("task_events")).toBe(0);
  });

  test("NUL characters are refused with 422, not a database error", async () => {
    const r = await api.post("/api/tasks", taskBody({ command: "echo \u0000", env: { A: "\u0000" } }));
    expect(r.status).toBe(422);
    expect(r.body.details.map((d: { path: string }) => d.path).sort()).toEqual(["/command", "/env/A"]);
  });

  test("malformed JSON is 400; a non-JSON content type is 415", async () => {
    const bad = await api.post("/api/tasks", '{"name": "x",');
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ error: "malformed_json", message: expect.any(String), details: [] });
    const text = await api.post("/api/tasks", JSON.stringify(taskBody()), { "content-type": "text/plain" });
    expect(text.status).toBe(415);
    expect(text.body.error).toBe("unsupported_media_type");
    const charset = await api.post("/api/tasks", taskBody(), { "content-type": "application/json; charset=utf-8" });
    expect(charset.status).toBe(201);
    expect(await api.count("tasks")).toBe(1);
  });

  test("the same idempotency key returns the first task with 200", async () => {
    const first = await api.post("/api/tasks", taskBody({ idempotency_key: "once" }));
    const second = await api.post("/api/tasks", taskBody({ idempotency_key: "once", name: "other" }));
    expect([first.status, second.status]).toEqual([201, 200]);
    expect(second.body).toEqual(first.body);
    expect(await api.count("tasks")).toBe(1);
    expect((await api.get(`/api/tasks/${first.body.id}`)).body.events.map((e: { status: string }) => e.status)).toEqual(["created", "scheduled"]);
  });

  test("50 concurrent submissions with one key make exactly one task", async () => {
    const answers = await Promise.all(Array.from({ length: 50 }, () => api.post("/api/tasks", taskBody({ idempotency_key: "race" }))));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(49);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(await api.count("tasks")).toBe(1);
    expect((await api.get(`/api/tasks/${answers[0]!.body.id}`)).body.events.map((e: { status: string }) => e.status)).toEqual(["created", "scheduled"]);
  });

  test("concurrent submissions without a key each get their own task, events and wake-up (they may share an insert)", async () => {
    const heard: string[] = [];
    const stop = await api.database.listen(WAKE_CHANNEL, (p) => heard.push(...parseWake(p).queues));
    try {
      const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => api.post("/api/tasks", taskBody({ name: `t${i}`, queue: `q${i % 3}` }))));
      expect(answers.map((a) => [a.status, a.body.name, a.body.queue])).toEqual(answers.map((_, i) => [201, `t${i}`, `q${i % 3}`]));
      expect(new Set(answers.map((a) => a.body.id)).size).toBe(40);
      for (const a of answers) {
        expect((await api.get(`/api/tasks/${a.body.id}`)).body.events.map((e: { status: string }) => e.status)).toEqual(["created", "scheduled"]);
      }
      for (let i = 0; i < 100 && new Set(heard).size < 3; i++) await Bun.sleep(20);
      expect(new Set(heard)).toEqual(new Set(["q0", "q1", "q2"]));
    } finally {
      await stop();
    }
  });

  test("a new task wakes coordinators with its queue", async () => {
    const heard: string[] = [];
    const stop = await api.database.listen(WAKE_CHANNEL, (p) => heard.push(p));
    try {
      await api.post("/api/tasks", taskBody({ queue: "wake-me" }));
      for (let i = 0; i < 100 && heard.length === 0; i++) await Bun.sleep(20);
      expect(heard.map((p) => parseWake(p).queues)).toContainEqual(["wake-me"]);
    } finally {
      await stop();
    }
  });
});
