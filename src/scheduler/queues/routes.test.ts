import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { describeEachBackend } from "../../../test/support/databases.ts";
import { registerWorker } from "../../../test/support/factories.ts";
import { SchedulerTestApp, taskBody } from "../../../test/support/scheduler-app.ts";
import { claimDueTasks } from "../../db/queries/claim-due-tasks.ts";

describeEachBackend("/api/queues", (backend) => {
  let api: SchedulerTestApp;
  beforeAll(async () => {
    api = await SchedulerTestApp.open(backend);
  });
  afterAll(() => api.close());
  beforeEach(() => api.reset());

  test("lists queues with tasks or live workers: paused flag, counts, lag, workers and slots", async () => {
    await api.post("/api/tasks", taskBody({ queue: "mail", run_at: new Date(Date.now() - 5000).toISOString() }));
    await api.post("/api/tasks", taskBody({ queue: "mail", delay_ms: 3_600_000 }));
    await registerWorker(api.db, { queues: ["mail", "io"], concurrency: 3 });
    await registerWorker(api.db, { queues: ["io"], concurrency: 2 });
    const r = await api.get("/api/queues");
    expect(r.status).toBe(200);
    expect(r.body.queues.map((q: { name: string }) => q.name)).toEqual(["io", "mail"]);
    const [io, mail] = r.body.queues;
    expect(io).toMatchObject({ name: "io", paused: false, workers: 2, slots: 5, busy: 0, due: 0 });
    expect(mail).toMatchObject({ name: "mail", paused: false, paused_at: null, workers: 1, slots: 3, due: 1, future: 1, counts: { scheduled: 2, picked: 0, running: 0, created: 0 } });
    expect(mail.lag_seconds).toBeGreaterThanOrEqual(4);
  });

  test("a paused queue's tasks are not claimed; resume makes them claimable again; other queues run on", async () => {
    const w = await registerWorker(api.db, { queues: ["mail", "io"] });
    const mail = (await api.post("/api/tasks", taskBody({ queue: "mail" }))).body;
    const io = (await api.post("/api/tasks", taskBody({ queue: "io" }))).body;
    const paused = await api.post("/api/queues/mail/pause");
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ name: "mail", paused: true, paused_at: expect.any(String), counts: { scheduled: 1 } });
    const claim = () => claimDueTasks(api.db, { workerId: w, workerName: "w", queues: ["mail", "io"], limit: 10 });
    expect((await claim()).map((t) => t.id)).toEqual([io.id]);
    expect((await api.get(`/api/tasks/${mail.id}`)).body.waiting_reason).toBe("queue mail is paused");
    expect((await api.get("/api/queues")).body.queues.find((q: { name: string }) => q.name === "mail").paused).toBe(true);
    expect(await (await api.fetch("/metrics")).text()).toContain('taskflow_queue_paused{queue="mail"} 1');
    expect((await api.get("/api/metrics")).body.paused_queues).toEqual(["mail"]);
    const resumed = await api.post("/api/queues/mail/resume");
    expect(resumed.body).toMatchObject({ name: "mail", paused: false, paused_at: null });
    expect((await claim()).map((t) => t.id)).toEqual([mail.id]);
  });

  test("pausing a queue that has no tasks yet holds back tasks submitted later", async () => {
    const w = await registerWorker(api.db, { queues: ["later"] });
    expect((await api.post("/api/queues/later/pause")).status).toBe(200);
    await api.post("/api/tasks", taskBody({ queue: "later" }));
    expect(await claimDueTasks(api.db, { workerId: w, workerName: "w", queues: ["later"], limit: 10 })).toEqual([]);
  });

  test("a name no queue can have is a 404 naming the rule", async () => {
    const r = await api.post("/api/queues/Bad%20Name/pause");
    expect(r.status).toBe(404);
    expect(r.body.message).toContain("a-z, 0-9");
  });
});
