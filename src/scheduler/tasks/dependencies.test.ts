/** Run-after dependencies through the API: batch references, release in the finishing transaction, failure policies. */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { describeEachBackend } from "../../../test/support/databases.ts";
import { registerWorker } from "../../../test/support/factories.ts";
import { SchedulerTestApp, taskBody } from "../../../test/support/scheduler-app.ts";
import { WAKE_CHANNEL } from "../../db/channels.ts";
import { claimDueTasks } from "../../db/queries/claim-due-tasks.ts";
import { rows } from "../../db/sql.ts";

describeEachBackend("run-after dependencies", (backend) => {
  let api: SchedulerTestApp;
  let worker: string;
  beforeAll(async () => {
    api = await SchedulerTestApp.open(backend);
  });
  afterAll(() => api.close());
  beforeEach(async () => {
    await api.reset();
    worker = await registerWorker(api.db);
  });

  const claim = async () => (await claimDueTasks(api.db, { workerId: worker, workerName: "w", queues: ["default"], limit: 50 })).map((t) => t.id);
  /** Ends a task the way any writer would (the release is a trigger on the status). */
  const finish = (id: string, status: "completed" | "failed") =>
    api.db.execute(sql`update tasks set status = ${status}, finished_at = now() where id = ${id}`);
  const task = async (id: string) => (await api.get(`/api/tasks/${id}`)).body;

  test("a chain in one batch ($0, $1) runs step by step; each release is an event and a wake-up in the finishing transaction", async () => {
    const r = await api.post("/api/tasks/batch", {
      tasks: [taskBody({ name: "a" }), taskBody({ name: "b", depends_on: ["$0"] }), taskBody({ name: "c", depends_on: ["$1"] })],
    });
    expect(r.status).toBe(201);
    const [a, b, c] = r.body.tasks.map((t: { id: string }) => t.id);
    expect((await task(b)).depends_on).toEqual([a]);
    expect((await task(c)).waiting_reason).toBe(`waiting for 1 task to finish: ${b}`);
    expect(await claim()).toEqual([a]);
    const woken: string[] = [];
    const unlisten = await api.database.listen(WAKE_CHANNEL, (p) => woken.push(p));
    await finish(a, "completed");
    expect(await claim()).toEqual([b]);
    expect((await task(b)).events.map((e: { status: string; message: string | null }) => [e.status, e.message])).toContainEqual(["scheduled", "dependencies finished"]);
    await finish(b, "completed");
    expect(await claim()).toEqual([c]);
    await unlisten();
    expect(woken.length).toBeGreaterThanOrEqual(1);
    expect(woken.every((p) => JSON.parse(p).includes("default"))).toBe(true);
  });

  test("a failed dependency cancels its dependents, and theirs; with on_dependency_failure=run the dependent runs", async () => {
    const r = await api.post("/api/tasks/batch", {
      tasks: [
        taskBody({ name: "parent" }),
        taskBody({ name: "child", depends_on: ["$0"] }),
        taskBody({ name: "grandchild", depends_on: ["$1"] }),
        taskBody({ name: "cleanup", depends_on: ["$0"], on_dependency_failure: "run" }),
      ],
    });
    const [parent, child, grandchild, cleanup] = r.body.tasks.map((t: { id: string }) => t.id);
    expect(await claim()).toEqual([parent]);
    await finish(parent, "failed");
    expect(await task(child)).toMatchObject({ status: "cancelled", error: `dependency ${parent} failed` });
    expect(await task(grandchild)).toMatchObject({ status: "cancelled", error: `dependency ${child} cancelled` });
    expect(await claim()).toEqual([cleanup]);
  });

  test("a user's cancel of a dependency cancels the dependent", async () => {
    const parent = (await api.post("/api/tasks", taskBody({ delay_ms: 60_000 }))).body.id;
    const child = (await api.post("/api/tasks", taskBody({ depends_on: [parent] }))).body.id;
    expect((await api.post(`/api/tasks/${parent}/cancel`)).status).toBe(200);
    expect((await task(child)).status).toBe("cancelled");
  });

  test("a diamond (A → B, C → D) releases D once, after both", async () => {
    const r = await api.post("/api/tasks/batch", {
      tasks: [taskBody({ name: "a" }), taskBody({ name: "b", depends_on: ["$0"] }), taskBody({ name: "c", depends_on: ["$0"] }), taskBody({ name: "d", depends_on: ["$1", "$2"] })],
    });
    const [a, b, c, d] = r.body.tasks.map((t: { id: string }) => t.id);
    expect(await claim()).toEqual([a]);
    await finish(a, "completed");
    expect((await claim()).sort()).toEqual([b, c].sort());
    expect((await task(d)).waiting_reason).toMatch(/^waiting for 2 tasks to finish: /);
    await finish(b, "completed");
    expect(await claim()).toEqual([]);
    await finish(c, "completed");
    expect(await claim()).toEqual([d]);
  });

  test("a dependency already finished does not hold a task back; retrying a finished dependency releases nothing twice", async () => {
    const a = (await api.post("/api/tasks", taskBody())).body.id;
    const x = (await api.post("/api/tasks", taskBody({ delay_ms: 3_600_000 }))).body.id;
    expect(await claim()).toEqual([a]);
    await finish(a, "failed");
    const d = (await api.post("/api/tasks", taskBody({ depends_on: [a, x], on_dependency_failure: "run" }))).body.id;
    expect((await task(d)).waiting_reason).toBe(`waiting for 1 task to finish: ${x}`);
    expect((await api.post(`/api/tasks/${a}/retry`)).status).toBe(200);
    expect(await claim()).toEqual([a]);
    await finish(a, "completed");
    const [row] = rows<{ blocked_by: number }>(await api.db.execute(sql`select blocked_by from tasks where id = ${d}`));
    expect(Number(row!.blocked_by)).toBe(1);
    expect(await claim()).toEqual([]);
  });

  test("depends_on naming no task is a 422 at its path, and nothing is written", async () => {
    const missing = crypto.randomUUID();
    const single = await api.post("/api/tasks", taskBody({ depends_on: [missing] }));
    expect(single.status).toBe(422);
    expect(single.body.details).toEqual([{ path: "/depends_on/0", message: `no task with id ${missing}` }]);
    const batch = await api.post("/api/tasks/batch", { tasks: [taskBody(), taskBody({ depends_on: ["$0", missing] })] });
    expect(batch.status).toBe(422);
    expect(batch.body.details).toEqual([{ path: "/tasks/1/depends_on/1", message: `no task with id ${missing}` }]);
    expect(await api.count("tasks")).toBe(0);
  });
});
