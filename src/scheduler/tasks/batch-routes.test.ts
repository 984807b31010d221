import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { describeEachBackend } from "../../../test/support/databases.ts";
import { parseWake, WAKE_CHANNEL } from "../../db/channels.ts";
import { taskBody, SchedulerTestApp } from "../../../test/support/scheduler-app.ts";

describeEachBackend("POST /api/tasks/batch", (backend) => {
  let api: SchedulerTestApp;
  beforeAll(async () => {
    api = await SchedulerTestApp.open(backend);
  });
  afterAll(() => api.close());
  beforeEach(() => api.reset());

  test("creates every task, answering them in request order", async () => {
    const r = await api.post("/api/tasks/batch", { tasks: [1, 2, 3].map((i) => taskBody({ name: `t${i}`, priority: i })) });
    expect(r.status).toBe(201);
    expect(r.body.tasks.map((t: { name: string }) => t.name)).toEqual(["t1", "t2", "t3"]);
    expect(r.body.tasks.every((t: { status: string }) => t.status === "scheduled")).toBe(true);
    expect(await api.count("tasks")).toBe(3);
    // Their created and scheduled events are read from the task rows (queries/submit-events.ts), not stored.
    expect(await api.count("task_events")).toBe(0);
    for (const t of r.body.tasks) {
      const events = (await api.get(`/api/tasks/${t.id}`)).body.events;
      expect(events).toEqual([
        { status: "created", attempt: 0, at: t.created_at, worker: null, message: "created by api" },
        { status: "scheduled", attempt: 0, at: t.created_at, worker: null, message: null },
      ]);
    }
  });

  test("one bad item refuses the whole batch, naming /tasks/N/field, and writes nothing", async () => {
    const items = Array.from({ length: 5 }, (_, i) => taskBody({ name: `t${i}` }));
    items[3] = taskBody({ priority: 1000 });
    const r = await api.post("/api/tasks/batch", { tasks: items });
    expect(r.status).toBe(422);
    expect(r.body.details).toEqual([{ path: "/tasks/3/priority", message: expect.any(String) }]);
    expect(await api.count("tasks")).toBe(0);
    expect(await api.count("task_events")).toBe(0);
  });

  test("a batch the database refuses midway writes nothing either (one transaction)", async () => {
    // A trigger stands in for any failure after some rows went in: the insert refuses the second task.
    await api.db.execute(sql`create function tf_test_boom() returns trigger language plpgsql as $$
      begin if new.name = 'boom' then raise exception 'boom'; end if; return new; end $$`);
    await api.db.execute(sql`create trigger tf_test_boom before insert on tasks for each row execute function tf_test_boom()`);
    try {
      const r = await api.post("/api/tasks/batch", { tasks: [taskBody(), taskBody({ name: "boom" }), taskBody()] });
      expect(r.status).toBe(500);
      expect(r.body).toEqual({ error: "internal", message: "internal error", details: [] });
      expect(await api.count("tasks")).toBe(0);
      expect(await api.count("task_events")).toBe(0);
    } finally {
      await api.db.execute(sql`drop trigger tf_test_boom on tasks`);
      await api.db.execute(sql`drop function tf_test_boom()`);
    }
  });

  test("a batch wakes the coordinators of every queue it fills, in payloads NOTIFY accepts", async () => {
    const queues = Array.from({ length: 250 }, (_, i) => `${i}`.padStart(64, "q"));
    const heard: string[] = [];
    const stop = await api.database.listen(WAKE_CHANNEL, (p) => heard.push(p));
    try {
      const r = await api.post("/api/tasks/batch", { tasks: queues.map((queue) => taskBody({ queue })) });
      expect(r.status).toBe(201);
      const woken = () => new Set(heard.flatMap((p) => parseWake(p).queues));
      for (let i = 0; i < 100 && woken().size < queues.length; i++) await Bun.sleep(20);
      expect(woken()).toEqual(new Set(queues));
      expect(Math.max(...heard.map((p) => p.length))).toBeLessThan(8000);
    } finally {
      await stop();
    }
  });

  test("the batch envelope allows only `tasks`", async () => {
    const r = await api.post("/api/tasks/batch", { tasks: [taskBody()], extra: true });
    expect(r.status).toBe(422);
    expect(r.body.details).toEqual([{ path: "/extra", message: "unknown field" }]);
    expect(await api.count("tasks")).toBe(0);
  });

  test("size limits: 0 and 1001 tasks are refused, 1000 accepted", async () => {
    expect((await api.post("/api/tasks/batch", { tasks: [] })).status).toBe(422);
    expect((await api.post("/api/tasks/batch", { tasks: Array(1001).fill(taskBody()) })).status).toBe(422);
    const r = await api.post("/api/tasks/batch", { tasks: Array.from({ length: 1000 }, (_, i) => taskBody({ name: `n${i}` })) });
    expect(r.status).toBe(201);
    expect(r.body.tasks).toHaveLength(1000);
    expect(new Set(r.body.tasks.map((t: { id: string }) => t.id)).size).toBe(1000);
    expect(await api.count("tasks")).toBe(1000);
  });

  test("known idempotency keys give the existing task; repeats inside a batch share the first", async () => {
    const known = await api.post("/api/tasks", taskBody({ idempotency_key: "known" }));
    const r = await api.post("/api/tasks/batch", {
      tasks: [
        taskBody({ name: "a", idempotency_key: "dup" }),
        taskBody({ name: "b", idempotency_key: "known" }),
        taskBody({ name: "c" }),
        taskBody({ name: "d", idempotency_key: "dup" }),
      ],
    });
    expect(r.status).toBe(201);
    const [a, b, c, d] = r.body.tasks;
    expect(b).toEqual(known.body);
    expect(d).toEqual(a);
    expect(a.name).toBe("a");
    expect(c.name).toBe("c");
    expect(await api.count("tasks")).toBe(3);
    // The known task's timeline is its own: the repeat added no event.
    expect((await api.get(`/api/tasks/${known.body.id}`)).body.events.map((e: { status: string }) => e.status)).toEqual(["created", "scheduled"]);
  });

  test("Prefer: return=minimal answers only the ids, in request order, and says it applied the preference", async () => {
    const r = await api.post("/api/tasks/batch", { tasks: [1, 2, 3].map((i) => taskBody({ name: `t${i}` })) }, { prefer: "return=minimal" });
    expect(r.status).toBe(201);
    expect(r.headers.get("preference-applied")).toBe("return=minimal");
    expect(Object.keys(r.body)).toEqual(["ids"]);
    const names = await Promise.all(r.body.ids.map(async (id: string) => (await api.get(`/api/tasks/${id}`)).body.name));
    expect(names).toEqual(["t1", "t2", "t3"]);
    // Without the preference (or with another) the answer is every task in full, as SPEC §3 says.
    const full = await api.post("/api/tasks/batch", { tasks: [taskBody()] }, { prefer: "return=representation" });
    expect(full.headers.get("preference-applied")).toBeNull();
    expect(Object.keys(full.body)).toEqual(["tasks"]);
  });

  test("a minimal answer gives a known key's existing id, and a refused batch still names the field", async () => {
    const known = await api.post("/api/tasks", taskBody({ idempotency_key: "known" }));
    const minimal = { prefer: "return=minimal" };
    const r = await api.post("/api/tasks/batch", { tasks: [taskBody({ idempotency_key: "dup" }), taskBody({ idempotency_key: "known" }), taskBody({ idempotency_key: "dup" })] }, minimal);
    expect(r.status).toBe(201);
    const [a, b, c] = r.body.ids;
    expect(b).toBe(known.body.id);
    expect(c).toBe(a);
    expect(await api.count("tasks")).toBe(2);
    const bad = await api.post("/api/tasks/batch", { tasks: [taskBody(), taskBody({ command: "" })] }, minimal);
    expect(bad.status).toBe(422);
    expect(bad.body.details).toEqual([{ path: "/tasks/1/command", message: expect.any(String) }]);
    expect(await api.count("tasks")).toBe(2);
  });

  test("concurrent batches sharing keys make each keyed task once", async () => {
    const batch = (reverse: boolean) => {
      const items = Array.from({ length: 50 }, (_, i) => taskBody({ idempotency_key: `k${i}` }));
      return { tasks: reverse ? items.reverse() : items };
    };
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => api.post("/api/tasks/batch", batch(i % 2 === 1))));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(201));
    expect(await api.count("tasks")).toBe(50);
    const idOfK0 = new Set(answers.map((a) => a.body.tasks.find((t: { idempotency_key: string }) => t.idempotency_key === "k0").id));
    expect(idOfK0.size).toBe(1);
  });
});
