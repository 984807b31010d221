import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { describeEachBackend } from "../../../test/support/databases.ts";
import { DEAD_WORKERS_SHOWN } from "../../db/queries/list-workers.ts";
import { workers } from "../../db/schema/index.ts";
import { SchedulerTestApp } from "../../../test/support/scheduler-app.ts";
import { registerWorker } from "../../../test/support/factories.ts";
import { parsePayload, WORKER_CONTROL_CHANNEL, type WorkerControlRequest } from "../../db/channels.ts";
import { markWorkerLeft } from "../../db/queries/mark-worker-left.ts";

describeEachBackend("GET /api/workers", (backend) => {
  let api: SchedulerTestApp;
  beforeAll(async () => {
    api = await SchedulerTestApp.open(backend);
  });
  afterAll(() => api.close());
  beforeEach(() => api.reset());

  const at = (minutesAgo: number) => new Date(Date.parse("2030-01-01T12:00:00Z") - minutesAgo * 60_000);
  const worker = (name: string, status: string, startedMinutesAgo: number, stoppedMinutesAgo: number | null = null) => ({
    name, host: "h1", pid: 1, status, queues: ["default", "io"], concurrency: 4, running: 1, version: "0.1.0",
    startedAt: at(startedMinutesAgo), lastHeartbeatAt: at(0), stoppedAt: stoppedMinutesAgo === null ? null : at(stoppedMinutesAgo),
  });

  test("lists live workers first (newest first), then dead ones (most recently stopped first)", async () => {
    await api.db.insert(workers).values([
      worker("dead-old", "dead", 100, 50),
      worker("alive-old", "alive", 60),
      worker("dead-new", "dead", 90, 5),
      worker("draining", "draining", 30),
      worker("alive-new", "alive", 10),
    ]);
    const r = await api.get("/api/workers");
    expect(r.status).toBe(200);
    expect(r.body.workers.map((w: { name: string }) => w.name)).toEqual(["alive-new", "draining", "alive-old", "dead-new", "dead-old"]);
    expect(r.body.workers[0]).toEqual({
      id: expect.any(String), name: "alive-new", host: "h1", status: "alive", queues: ["default", "io"], concurrency: 4, running: 1,
      last_heartbeat_at: "2030-01-01T12:00:00.000Z", started_at: "2030-01-01T11:50:00.000Z", version: "0.1.0",
    });
  });

  test(`shows at most ${DEAD_WORKERS_SHOWN} dead workers, the latest`, async () => {
    await api.db.insert(workers).values(Array.from({ length: DEAD_WORKERS_SHOWN + 20 }, (_, i) => worker(`dead-${i}`, "dead", 1000, i)));
    await api.db.insert(workers).values(worker("alive", "alive", 1));
    const names = (await api.get("/api/workers")).body.workers.map((w: { name: string }) => w.name);
    expect(names).toHaveLength(DEAD_WORKERS_SHOWN + 1);
    expect(names.slice(0, 3)).toEqual(["alive", "dead-0", "dead-1"]);
    expect(names).not.toContain(`dead-${DEAD_WORKERS_SHOWN}`);
  });
});

describeEachBackend("POST /api/workers/:id/drain and /resume", (backend) => {
  let api: SchedulerTestApp;
  beforeAll(async () => {
    api = await SchedulerTestApp.open(backend);
  });
  afterAll(() => api.close());
  beforeEach(() => api.reset());

  test("drain and resume: the row says so at once, and the request goes out to the coordinator holding the worker", async () => {
    const id = await registerWorker(api.db, { name: "w1" });
    const heard: string[] = [];
    const stop = await api.database.listen(WORKER_CONTROL_CHANNEL, (p) => heard.push(p));
    try {
      expect(await api.post(`/api/workers/${id}/drain`)).toMatchObject({ status: 200, body: { id, name: "w1", status: "draining" } });
      expect((await api.get("/api/workers")).body.workers[0].status).toBe("draining");
      expect(await api.post(`/api/workers/${id.toUpperCase()}/resume`)).toMatchObject({ status: 200, body: { status: "alive" } });
      for (let i = 0; i < 100 && heard.length < 2; i++) await Bun.sleep(20);
    } finally {
      await stop();
    }
    expect(heard.flatMap((p) => parsePayload<WorkerControlRequest>(p))).toEqual([
      { worker_id: id, action: "drain", reason: "drained by api" },
      { worker_id: id, action: "resume", reason: "resumed by api" },
    ]);
  });

  test("a session that ended is 409 (left or dead); an unknown id is 404; a drained worker that left shows as left", async () => {
    const id = await registerWorker(api.db, { name: "w1" });
    await markWorkerLeft(api.db, id);
    expect((await api.get("/api/workers")).body.workers[0]).toMatchObject({ id, status: "left" });
    const r = await api.post(`/api/workers/${id}/drain`);
    expect(r).toMatchObject({ status: 409, body: { message: expect.stringContaining("has left") } });
    expect((await api.post("/api/workers/00000000-0000-4000-8000-000000000000/drain")).status).toBe(404);
    expect((await api.post("/api/workers/nope/resume")).status).toBe(404);
  });
});
