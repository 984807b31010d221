import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { describeEachBackend } from "../../../test/support/databases.ts";
import { insertTask, insertTasks, registerWorker } from "../../../test/support/factories.ts";
import { SchedulerTestApp } from "../../../test/support/scheduler-app.ts";
import { CANCEL_CHANNEL, parsePayload, type CancelRequest } from "../../db/channels.ts";
import { taskAttempts, taskEvents } from "../../db/schema/index.ts";
import { rows } from "../../db/sql.ts";
import { BULK_BATCH_SIZE } from "./bulk-actions.ts";

describeEachBackend("bulk cancel and retry", (backend) => {
  let api: SchedulerTestApp;
  beforeAll(async () => {
    api = await SchedulerTestApp.open(backend);
  });
  afterAll(() => api.close());
  beforeEach(() => api.reset());

  const statusCounts = async () =>
    Object.fromEntries(rows<{ status: string; n: number }>(await api.db.execute(sql`select status, count(*)::int as n from tasks group by status`)).map((r) => [r.status, Number(r.n)]));

  test("cancel by filter walks every batch; finished tasks are skipped; dry_run changes nothing", async () => {
    const n = BULK_BATCH_SIZE + 20;
    await insertTasks(api.db, n, { queue: "io" });
    await insertTasks(api.db, 3, { queue: "io", status: "completed" });
    await insertTasks(api.db, 4, { queue: "other" });
    const dry = await api.post("/api/tasks/cancel", { filter: { queue: "io" }, dry_run: true });
    expect(dry).toMatchObject({ status: 200, body: { changed: n, skipped: 3, dry_run: true } });
    expect(await statusCounts()).toEqual({ scheduled: n + 4, completed: 3 });
    const r = await api.post("/api/tasks/cancel", { filter: { queue: "io" } });
    expect(r).toMatchObject({ status: 200, body: { changed: n, skipped: 3, dry_run: false } });
    expect(await statusCounts()).toEqual({ cancelled: n, scheduled: 4, completed: 3 });
    // Each cancelled task has its event, as a single cancel writes it.
    const events = rows<{ n: number }>(await api.db.execute(sql`select count(*)::int as n from task_events where status = 'cancelled' and message = 'cancelled by api'`));
    expect(Number(events[0]!.n)).toBe(n);
    // Again: nothing left to cancel.
    expect((await api.post("/api/tasks/cancel", { filter: { queue: "io" } })).body).toEqual({ changed: 0, skipped: n + 3, dry_run: false });
  });

  test("cancel of a running task by id goes through the cancel relay; unknown ids are skipped", async () => {
    const w = await registerWorker(api.db, { name: "w1" });
    const t = await insertTask(api.db, { status: "running", attempt: 1, workerId: w, worker: "w1" });
    await api.db.insert(taskAttempts).values({ taskId: t.id, attempt: 1, workerId: w, worker: "w1", status: "running" });
    const heard: string[] = [];
    const stop = await api.database.listen(CANCEL_CHANNEL, (p) => heard.push(p));
    try {
      const r = await api.post("/api/tasks/cancel", { ids: [t.id, "00000000-0000-4000-8000-000000000000"] });
      expect(r.body).toEqual({ changed: 1, skipped: 1, dry_run: false });
      for (let i = 0; i < 100 && heard.length === 0; i++) await Bun.sleep(20);
    } finally {
      await stop();
    }
    expect(heard.flatMap((p) => parsePayload<CancelRequest>(p))).toEqual([{ task_id: t.id, attempt: 1, worker_id: w, reason: "cancelled by api" }]);
    const [attempt] = await api.db.select().from(taskAttempts);
    expect(attempt).toMatchObject({ status: "cancelled", error: "cancelled by api", finishedAt: null });
  });

  test("retry by filter: failed and cancelled tasks of a status and name, each with a fresh retry budget", async () => {
    const failed = await insertTasks(api.db, 3, { name: "nightly", status: "failed", attempt: 4, maxRetries: 3 });
    await insertTasks(api.db, 2, { name: "nightly", status: "completed" });
    await insertTasks(api.db, 2, { name: "other", status: "failed" });
    const r = await api.post("/api/tasks/retry", { filter: { name: "nightly", status: ["failed", "completed"] } });
    expect(r.body).toEqual({ changed: 3, skipped: 2, dry_run: false });
    const one = (await api.get(`/api/tasks/${failed[0]!.id}`)).body;
    expect(one).toMatchObject({ status: "scheduled", attempt: 4 });
    const events = await api.db.select().from(taskEvents).where(sql`${taskEvents.taskId} = ${failed[0]!.id}`);
    expect(events.at(-1)).toMatchObject({ status: "scheduled", message: "retried by api (manual retry #1, a fresh budget of 4 attempts)" });
    // Completed tasks are never retried, even when named.
    expect((await api.post("/api/tasks/retry", { filter: { status: "completed" } })).body).toEqual({ changed: 0, skipped: 2, dry_run: false });
  });

  test("from_schedule in the filter (true/false, as JSON or as the query's text) selects like the list", async () => {
    await insertTasks(api.db, 3, { queue: "io" });
    await insertTasks(api.db, 2, { queue: "io", scheduleId: crypto.randomUUID() });
    expect((await api.post("/api/tasks/cancel", { filter: { from_schedule: true }, dry_run: true })).body).toEqual({ changed: 2, skipped: 0, dry_run: true });
    expect((await api.post("/api/tasks/cancel", { filter: { from_schedule: "true", queue: "io" }, dry_run: true })).body).toEqual({ changed: 2, skipped: 0, dry_run: true });
    expect((await api.post("/api/tasks/cancel", { filter: { from_schedule: false } })).body).toEqual({ changed: 3, skipped: 0, dry_run: false });
    expect(await statusCounts()).toEqual({ cancelled: 3, scheduled: 2 });
    for (const bad of ["yes", 1, null]) {
      const r = await api.post("/api/tasks/cancel", { filter: { from_schedule: bad } });
      expect(r.status).toBe(422);
      expect(r.body.details.map((d: { path: string }) => d.path)).toEqual(["/filter/from_schedule"]);
    }
  });

  test("created_before / created_after and search select like the list", async () => {
    const [old] = await insertTasks(api.db, 1, { name: "old backup", createdAt: new Date("2030-01-01T00:00:00Z") });
    await insertTasks(api.db, 1, { name: "new backup", createdAt: new Date("2030-02-01T00:00:00Z") });
    const r = await api.post("/api/tasks/cancel", { filter: { q: "backup", created_before: "2030-01-15T00:00:00Z" }, dry_run: true });
    expect(r.body).toEqual({ changed: 1, skipped: 0, dry_run: true });
    const list = await api.get("/api/tasks?q=backup&created_before=2030-01-15T00:00:00Z");
    expect(list.body.tasks.map((t: { id: string }) => t.id)).toEqual([old!.id]);
    expect((await api.post("/api/tasks/cancel", { filter: { created_after: "2030-01-15T00:00:00Z" } })).body).toEqual({ changed: 1, skipped: 0, dry_run: false });
  });

  test("bad bodies are 422 naming the field", async () => {
    const cases: [unknown, string[]][] = [
      [{}, [""]],
      [{ ids: ["x"] }, ["/ids/0"]],
      [{ ids: [] }, ["/ids"]],
      [{ ids: ["00000000-0000-4000-8000-000000000000"], filter: { queue: "io" } }, ["/filter"]],
      [{ filter: {} }, ["/filter"]],
      [{ filter: { search: "x" } }, ["/filter/search"]],
      [{ filter: { status: "nope", queue: "A B" } }, ["/filter/status", "/filter/queue"]],
      [{ filter: { limit: "5" } }, ["/filter/limit"]],
      [{ filter: { queue: 5 } }, ["/filter/queue"]],
      [{ filter: { queue: "io" }, dry_run: "yes", force: true }, ["/force", "/dry_run"]],
    ];
    for (const [body, paths] of cases) {
      const r = await api.post("/api/tasks/cancel", body);
      expect({ body, status: r.status, paths: r.body.details?.map((d: { path: string }) => d.path) }).toEqual({ body, status: 422, paths });
    }
  });
});
