import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { describeEachBackend } from "../../../test/support/databases.ts";
import { CANCEL_CHANNEL, WAKE_CHANNEL, parsePayload, type CancelRequest } from "../../db/channels.ts";
import { taskAttempts, taskEvents, tasks } from "../../db/schema/index.ts";
import { taskBody, SchedulerTestApp } from "../../../test/support/scheduler-app.ts";

describeEachBackend("task detail, cancel and retry", (backend) => {
  let api: SchedulerTestApp;
  beforeAll(async () => {
    api = await SchedulerTestApp.open(backend);
  });
  afterAll(() => api.close());
  beforeEach(() => api.reset());

  const WORKER_ID = "7d1c2a4e-0000-4000-8000-000000000001";

  /** A task in `status` on attempt 2 of worker w1, as a coordinator would have left it (attempt 1 failed). */
  async function taskOnWorker(status: "picked" | "running" | "failed" | "completed"): Promise<string> {
    const [t] = await api.db
      .insert(tasks)
      .values({ name: "live", command: "sleep 100", status, attempt: 2, workerId: WORKER_ID, worker: "w1", pickedAt: new Date() })
      .returning();
    const id = t!.id;
    const finished = status === "failed" || status === "completed" ? new Date("2030-01-01T00:00:03Z") : null;
    await api.db.insert(taskAttempts).values([
      { taskId: id, attempt: 1, workerId: WORKER_ID, worker: "w1", status: "failed", startedAt: new Date("2030-01-01T00:00:00Z"), finishedAt: new Date("2030-01-01T00:00:01Z"), exitCode: 3, error: "exit 3", stdoutTail: "out", stderrTail: "err" },
      { taskId: id, attempt: 2, workerId: WORKER_ID, worker: "w1", status: status === "completed" ? "completed" : status, startedAt: new Date("2030-01-01T00:00:02Z"), finishedAt: finished },
    ]);
    await api.db.insert(taskEvents).values([
      { taskId: id, attempt: 0, status: "created" },
      { taskId: id, attempt: 0, status: "scheduled" },
      { taskId: id, attempt: 1, status: "picked", worker: "w1" },
      { taskId: id, attempt: 1, status: "scheduled", message: "retry in 1s" },
      { taskId: id, attempt: 2, status: "picked", worker: "w1" },
    ]);
    return id;
  }

  /** Collects NOTIFY payloads on `channel` while `body` runs. */
  async function listening<T>(channel: string, body: () => Promise<T>): Promise<{ result: T; heard: string[] }> {
    const heard: string[] = [];
    const stop = await api.database.listen(channel, (p) => heard.push(p));
    try {
      const result = await body();
      for (let i = 0; i < 100 && heard.length === 0; i++) await Bun.sleep(20);
      return { result, heard };
    } finally {
      await stop();
    }
  }

  test("GET /api/tasks/:id gives the task with its attempts and events in order", async () => {
    const id = await taskOnWorker("running");
    const r = await api.get(`/api/tasks/${id}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id, status: "running", attempt: 2, worker: "w1" });
    expect(r.body.attempts).toEqual([
      { attempt: 1, worker: "w1", status: "failed", picked_at: expect.any(String), started_at: "2030-01-01T00:00:00.000Z", spawned_at: null, finished_at: "2030-01-01T00:00:01.000Z", exit_code: 3, error: "exit 3", stdout_tail: "out", stderr_tail: "err" },
      { attempt: 2, worker: "w1", status: "running", picked_at: expect.any(String), started_at: "2030-01-01T00:00:02.000Z", spawned_at: null, finished_at: null, exit_code: null, error: null, stdout_tail: null, stderr_tail: null },
    ]);
    expect(r.body.events.map((e: { status: string; attempt: number }) => `${e.status}/${e.attempt}`)).toEqual(["created/0", "scheduled/0", "picked/1", "scheduled/1", "picked/2"]);
    expect(r.body.events[3]).toEqual({ status: "scheduled", attempt: 1, at: expect.stringMatching(/Z$/), worker: null, message: "retry in 1s" });
  });

  test("unknown ids and ids that are not UUIDs are 404", async () => {
    for (const path of ["/api/tasks/00000000-0000-4000-8000-000000000000", "/api/tasks/not-a-uuid", "/api/tasks/%00", "/api/tasks/1'%20or%201=1"]) {
      const r = await api.get(path);
      expect(r.status).toBe(404);
      expect(r.body.error).toBe("not_found");
    }
    expect((await api.post("/api/tasks/nope/cancel")).status).toBe(404);
    expect((await api.post("/api/tasks/00000000-0000-4000-8000-000000000000/retry")).status).toBe(404);
  });

  test("cancel a scheduled task: 200 cancelled, then 409 on a second cancel", async () => {
    const { id } = (await api.post("/api/tasks", taskBody())).body;
    const { result: r, heard } = await listening(CANCEL_CHANNEL, () => api.post(`/api/tasks/${id}/cancel`));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id, status: "cancelled", finished_at: expect.any(String) });
    expect(heard).toEqual([]); // nothing runs, so no worker is told
    const again = await api.post(`/api/tasks/${id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.error).toBe("conflict");
    const events = (await api.get(`/api/tasks/${id}`)).body.events.map((e: { status: string }) => e.status);
    expect(events).toEqual(["created", "scheduled", "cancelled"]);
  });

  test("cancel a running task: its attempt is cancelled and a CancelRequest names its worker", async () => {
    const id = await taskOnWorker("running");
    const { result: r, heard } = await listening(CANCEL_CHANNEL, () => api.post(`/api/tasks/${id}/cancel`));
    expect(r.status).toBe(200);
    expect(r.body.status).toBe("cancelled");
    const requests = heard.flatMap((p) => parsePayload<CancelRequest>(p));
    expect(requests).toEqual([{ task_id: id, attempt: 2, worker_id: WORKER_ID, reason: expect.any(String) }]);
    const attempts = await api.db.select().from(taskAttempts).where(eq(taskAttempts.taskId, id)).orderBy(taskAttempts.attempt);
    expect(attempts.map((a) => a.status)).toEqual(["failed", "cancelled"]);
    // Left open: the worker's report of the kill records the attempt's end, exit and output.
    expect(attempts[1]!.finishedAt).toBeNull();
  });

  test("cancel a picked task also tells its worker", async () => {
    const id = await taskOnWorker("picked");
    const { heard } = await listening(CANCEL_CHANNEL, () => api.post(`/api/tasks/${id}/cancel`));
    expect(heard.flatMap((p) => parsePayload<CancelRequest>(p)).map((c) => c.task_id)).toEqual([id]);
  });

  test("finished tasks cannot be cancelled (409), and nothing changes", async () => {
    for (const status of ["completed", "failed"] as const) {
      const id = await taskOnWorker(status);
      const r = await api.post(`/api/tasks/${id}/cancel`);
      expect(r.status).toBe(409);
      const [row] = await api.db.select().from(tasks).where(eq(tasks.id, id));
      expect(row!.status).toBe(status);
    }
  });

  test("retry a failed task: scheduled now, attempt kept, finished fields cleared, coordinators woken", async () => {
    const id = await taskOnWorker("failed");
    await api.db.update(tasks).set({ finishedAt: new Date(), exitCode: 1, error: "exit 1", runAt: new Date("2020-01-01T00:00:00Z") }).where(eq(tasks.id, id));
    const { result: r, heard } = await listening(WAKE_CHANNEL, () => api.post(`/api/tasks/${id}/retry`));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id, status: "scheduled", attempt: 2, finished_at: null, exit_code: null, error: null, started_at: null });
    expect(Math.abs(Date.parse(r.body.run_at) - Date.now())).toBeLessThan(5000);
    expect(heard.map((p) => JSON.parse(p))).toContainEqual(["default"]);
    const events = (await api.get(`/api/tasks/${id}`)).body.events;
    expect(events.at(-1)).toMatchObject({ status: "scheduled", attempt: 2 });
  });

  test("retry a cancelled task; others are 409", async () => {
    const { id } = (await api.post("/api/tasks", taskBody())).body;
    expect((await api.post(`/api/tasks/${id}/retry`)).status).toBe(409); // scheduled
    await api.post(`/api/tasks/${id}/cancel`);
    const r = await api.post(`/api/tasks/${id}/retry`);
    expect(r.status).toBe(200);
    expect(r.body.status).toBe("scheduled");
    for (const status of ["running", "completed"] as const) {
      const other = await taskOnWorker(status);
      const refused = await api.post(`/api/tasks/${other}/retry`);
      expect(refused.status).toBe(409);
      expect(refused.body.message).toContain(status);
    }
  });

  test("POST cancel takes no body: a JSON content type with an empty body is fine", async () => {
    const { id } = (await api.post("/api/tasks", taskBody())).body;
    const r = await api.post(`/api/tasks/${id}/cancel`, "", { "content-type": "application/json" });
    expect(r.status).toBe(200);
  });
});
