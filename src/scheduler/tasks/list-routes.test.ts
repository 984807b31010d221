import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { eq, inArray, sql } from "drizzle-orm";
import { describeEachBackend } from "../../../test/support/databases.ts";
import { listTasksQuery } from "../../db/queries/list-tasks.ts";
import { tasks } from "../../db/schema/index.ts";
import { taskBody, SchedulerTestApp } from "../../../test/support/scheduler-app.ts";

type Listed = { id: string; seq: number; name: string; status: string; queue: string; created_at: string };

describeEachBackend("GET /api/tasks", (backend) => {
  let api: SchedulerTestApp;
  beforeAll(async () => {
    api = await SchedulerTestApp.open(backend);
  });
  afterAll(() => api.close());
  beforeEach(() => api.reset());

  /** Submits tasks one request each, so their created_at differ. */
  async function submit(bodies: Record<string, unknown>[]): Promise<Listed[]> {
    const out: Listed[] = [];
    for (const b of bodies) out.push((await api.post("/api/tasks", taskBody(b))).body);
    return out;
  }

  async function setStatus(ids: string[], status: string) {
    await api.db.update(tasks).set({ status }).where(inArray(tasks.id, ids));
  }

  test("newest first, with the defaults: limit 50 and a next_cursor", async () => {
    await api.post("/api/tasks/batch", { tasks: Array.from({ length: 60 }, (_, i) => taskBody({ name: `t${i}` })) });
    const made = await submit([{ name: "newest" }]);
    const r = await api.get("/api/tasks");
    expect(r.status).toBe(200);
    expect(r.body.tasks).toHaveLength(50);
    expect(r.body.tasks[0].id).toBe(made[0]!.id);
    expect(typeof r.body.next_cursor).toBe("string");
  });

  test("pages follow each other with no duplicates or gaps, even with equal created_at", async () => {
    // One batch: every task shares the transaction's created_at, so only the seq orders them.
    const batch = await api.post("/api/tasks/batch", { tasks: Array.from({ length: 23 }, (_, i) => taskBody({ name: `b${i}` })) });
    const singles = await submit(Array.from({ length: 4 }, (_, i) => ({ name: `s${i}` })));
    const all: Listed[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r = await api.get(`/api/tasks?limit=5${cursor ? `&cursor=${cursor}` : ""}`);
      expect(r.status).toBe(200);
      all.push(...r.body.tasks);
      cursor = r.body.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(6);
    const ids = all.map((t) => t.id);
    expect(new Set(ids).size).toBe(27);
    expect(ids.sort()).toEqual([...batch.body.tasks, ...singles].map((t: Listed) => t.id).sort());
    // Order: created_at desc, then seq desc; the batch newest first is the batch reversed.
    const order = all.map((t) => `${t.created_at} ${String(t.seq).padStart(16, "0")}`);
    expect(order).toEqual([...order].sort().reverse());
    expect(all.filter((t) => t.name.startsWith("b")).map((t) => t.name)).toEqual(Array.from({ length: 23 }, (_, i) => `b${22 - i}`));
  });

  test("a 500-task batch lists in submission order: newest first is the batch reversed, across pages of a shared created_at", async () => {
    const names = Array.from({ length: 500 }, (_, i) => `n${String(i).padStart(3, "0")}`);
    const sent = names.map((name) => taskBody({ name }));
    const made = await api.post("/api/tasks/batch", { tasks: sent });
    expect(made.status).toBe(201);
    const seqs = made.body.tasks.map((t: Listed) => t.seq);
    // The answer's seqs rise in request order.
    expect(seqs).toEqual([...seqs].sort((a: number, b: number) => a - b));
    expect(new Set(made.body.tasks.map((t: Listed) => t.created_at)).size).toBe(1);
    const whole = await api.get("/api/tasks?limit=500");
    expect(whole.body.tasks.map((t: Listed) => t.name)).toEqual([...names].reverse());
    // Pages of 7 over the one created_at: every task exactly once, in the same order.
    const paged: string[] = [];
    for (let cursor: string | null = null; ; ) {
      const r = await api.get(`/api/tasks?limit=7${cursor ? `&cursor=${cursor}` : ""}`);
      expect(r.status).toBe(200);
      paged.push(...r.body.tasks.map((t: Listed) => t.name));
      cursor = r.body.next_cursor;
      if (!cursor) break;
    }
    expect(paged).toEqual([...names].reverse());
  });

  test("idempotency keys do not change the order: keyed and unkeyed items number in request order", async () => {
    const sent = ["k-z", null, "k-a", null, "k-m"].map((key, i) => taskBody({ name: `i${i}`, ...(key ? { idempotency_key: key } : {}) }));
    await api.post("/api/tasks/batch", { tasks: sent });
    const r = await api.get("/api/tasks");
    expect(r.body.tasks.map((t: Listed) => t.name)).toEqual(["i4", "i3", "i2", "i1", "i0"]);
  });

  test("a cursor from before tasks had a seq (created_at|id) is 422 naming cursor", async () => {
    await submit([{}, {}]);
    const old = Buffer.from(`2030-01-01T00:00:00.000000|${crypto.randomUUID()}`).toString("base64url");
    const r = await api.get(`/api/tasks?cursor=${old}`);
    expect(r.status).toBe(422);
    expect(r.body.details).toEqual([{ path: "/cursor", message: "is not a next_cursor given by this API" }]);
  });

  test("a page that ends exactly at the last task has no next_cursor", async () => {
    await submit([{}, {}, {}, {}]);
    const first = await api.get("/api/tasks?limit=2");
    const second = await api.get(`/api/tasks?limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body.tasks).toHaveLength(2);
    expect(second.body.next_cursor).toBeNull();
  });

  test("filters by status (a comma list), queue, and name substring case-insensitively", async () => {
    const [a, , c] = await submit([
      { name: "Nightly Backup", queue: "ops" },
      { name: "backup-db", queue: "default" },
      { name: "send mail", queue: "ops" },
      { name: "100%_done\\", queue: "ops" },
    ]);
    await setStatus([a!.id], "failed");
    await setStatus([c!.id], "completed");
    const names = async (query: string) => (await api.get(`/api/tasks?${query}`)).body.tasks.map((t: Listed) => t.name).sort();
    expect(await names("q=BACKUP")).toEqual(["Nightly Backup", "backup-db"]);
    expect(await names("queue=ops")).toEqual(["100%_done\\", "Nightly Backup", "send mail"]);
    expect(await names("status=failed,completed")).toEqual(["Nightly Backup", "send mail"]);
    expect(await names("status=failed&status=scheduled")).toEqual(["100%_done\\", "Nightly Backup", "backup-db"]);
    expect(await names("status=scheduled&queue=ops&q=done")).toEqual(["100%_done\\"]);
    // LIKE wildcards in q are literal characters.
    expect(await names(`q=${encodeURIComponent("%_")}`)).toEqual(["100%_done\\"]);
    expect(await names(`q=${encodeURIComponent("\\")}`)).toEqual(["100%_done\\"]);
    expect(await names("q=nomatch")).toEqual([]);
  });

  test("schedule_id lists the tasks one schedule made, newest first and paginated", async () => {
    const scheduleA = crypto.randomUUID();
    const scheduleB = crypto.randomUUID();
    const made = await submit([{ name: "a1" }, { name: "b1" }, { name: "a2" }, { name: "plain" }, { name: "a3" }]);
    const owner: Record<string, string> = { a1: scheduleA, a2: scheduleA, a3: scheduleA, b1: scheduleB };
    for (const t of made) if (owner[t.name]) await api.db.update(tasks).set({ scheduleId: owner[t.name]! }).where(eq(tasks.id, t.id));
    const names = async (query: string) => (await api.get(`/api/tasks?${query}`)).body.tasks.map((t: Listed) => t.name);
    expect(await names(`schedule_id=${scheduleA}`)).toEqual(["a3", "a2", "a1"]);
    expect(await names(`schedule_id=${scheduleB.toUpperCase()}`)).toEqual(["b1"]);
    expect(await names(`schedule_id=${scheduleA}&q=3`)).toEqual(["a3"]);
    expect(await names(`schedule_id=${crypto.randomUUID()}`)).toEqual([]);
    const first = await api.get(`/api/tasks?schedule_id=${scheduleA}&limit=2`);
    expect(first.body.tasks.map((t: Listed) => t.name)).toEqual(["a3", "a2"]);
    const second = await api.get(`/api/tasks?schedule_id=${scheduleA}&limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body.tasks.map((t: Listed) => t.name)).toEqual(["a1"]);
    expect(second.body.next_cursor).toBeNull();
    expect((await api.get("/api/tasks")).body.tasks).toHaveLength(5);
  });

  test("from_schedule=false hides the tasks schedules made, true shows only them; other values are 422, named", async () => {
    const made = await submit([{ name: "by schedule 1" }, { name: "by hand 1" }, { name: "by schedule 2" }, { name: "by hand 2" }]);
    for (const t of made) if (t.name.startsWith("by schedule")) await api.db.update(tasks).set({ scheduleId: crypto.randomUUID() }).where(eq(tasks.id, t.id));
    const names = async (query: string) => (await api.get(`/api/tasks?${query}`)).body.tasks.map((t: Listed) => t.name);
    expect(await names("from_schedule=false")).toEqual(["by hand 2", "by hand 1"]);
    expect(await names("from_schedule=true")).toEqual(["by schedule 2", "by schedule 1"]);
    expect(await names("from_schedule=false&q=2")).toEqual(["by hand 2"]);
    // Paging keeps the filter.
    const first = await api.get("/api/tasks?from_schedule=false&limit=1");
    expect((await api.get(`/api/tasks?from_schedule=false&limit=1&cursor=${first.body.next_cursor}`)).body.tasks.map((t: Listed) => t.name)).toEqual(["by hand 1"]);
    for (const value of ["yes", "1", "TRUE"]) {
      const r = await api.get(`/api/tasks?from_schedule=${value}`);
      expect(r.status).toBe(422);
      expect(r.body.details).toEqual([{ path: "/from_schedule", message: "must be true or false" }]);
    }
    // Empty is no filter, as for every other parameter (an unticked form field may send it).
    expect((await api.get("/api/tasks?from_schedule=")).body.tasks).toHaveLength(4);
  });

  test("schedule_id is served by the index tasks_schedule_created_idx, on the first page and after a cursor", async () => {
    const filter = { statuses: [], queue: null, nameContains: null, scheduleId: crypto.randomUUID(), limit: 50, after: null };
    const after = { createdAt: "2030-01-01T00:00:00.000000", seq: 42 };
    for (const f of [filter, { ...filter, after }]) {
      // On a near-empty table a sequential scan is cheapest; forbidding it shows which index the planner can use.
      const plan = await api.db.transaction(async (tx) => {
        await tx.execute(sql`set local enable_seqscan = off`);
        const r = await tx.execute(sql`explain ${listTasksQuery(tx, f)}`);
        return (Array.isArray(r) ? r : (r as { rows: unknown[] }).rows).map((row) => Object.values(row as object)[0]).join("\n");
      });
      expect(plan).toContain("tasks_schedule_created_idx");
    }
  });

  test("label=K=V (repeatable) lists tasks carrying every such label; labels come back in the answer; a bad pair is 422, named", async () => {
    const [db, dbUrgent] = await submit([
      { name: "a", labels: { team: "db" } },
      { name: "b", labels: { team: "db", urgency: "high" } },
      { name: "c", labels: { team: "web" } },
      { name: "d" },
    ]);
    const names = async (q: string) => (await api.get(`/api/tasks?${q}`)).body.tasks.map((t: Listed) => t.name);
    expect(await names("label=team=db")).toEqual(["b", "a"]);
    expect(await names("label=team=db&label=urgency=high")).toEqual(["b"]);
    expect(await names("label=team=ops")).toEqual([]);
    expect((await api.get(`/api/tasks/${dbUrgent!.id}`)).body.labels).toEqual({ team: "db", urgency: "high" });
    expect(db).toBeDefined();
    const bad = await api.get("/api/tasks?label=team");
    expect(bad.status).toBe(422);
    expect(bad.body.details).toEqual([{ path: "/label", message: '"team" must be KEY=VALUE (label=KEY=VALUE, repeatable)' }]);
  });

  test("parent_id lists a fanout parent's children; a malformed one is 422, named", async () => {
    const [parent] = await submit([{ name: "p" }]);
    await api.db.insert(tasks).values([
      { name: "child 1", command: "true", status: "scheduled", parentId: parent!.id, pinnedWorker: "w1" },
      { name: "child 2", command: "true", status: "scheduled", parentId: parent!.id, pinnedWorker: "w2" },
    ]);
    const r = await api.get(`/api/tasks?parent_id=${parent!.id}`);
    expect(r.body.tasks.map((t: Listed & { parent_id: string; pinned_worker: string }) => `${t.name}:${t.parent_id === parent!.id}:${t.pinned_worker}`).sort()).toEqual([
      "child 1:true:w1", "child 2:true:w2",
    ]);
    expect((await api.get("/api/tasks?parent_id=nope")).body.details).toEqual([{ path: "/parent_id", message: "must be a task id (a UUID)" }]);
  });

  test("a schedule_id that is not a UUID is 422, named", async () => {
    for (const id of ["nope", "123", "7d1c2a4e-0000-4000-8000-00000000000g"]) {
      const r = await api.get(`/api/tasks?schedule_id=${id}`);
      expect(r.status).toBe(422);
      expect(r.body.details).toEqual([{ path: "/schedule_id", message: "must be a schedule id (a UUID)" }]);
    }
  });

  test("id_prefix lists the tasks whose id starts with it, with or without its dashes; a malformed one is 422, named", async () => {
    const ids = ["7d1c2a4e-0000-4000-8000-000000000001", "7d1c2a4e-0000-4000-8000-000000000002", "7d1c2a4f-0000-4000-8000-000000000003"];
    for (const id of ids) await api.db.insert(tasks).values({ id, name: id.slice(-1), command: "true", status: "scheduled" });
    const listed = async (p: string) => ((await api.get(`/api/tasks?id_prefix=${p}`)).body.tasks as Listed[]).map((t) => t.id).sort();
    expect(await listed("7d1c2a4e")).toEqual(ids.slice(0, 2));
    expect(await listed("7D1C2A4E-0000-4000-8000-00000000000")).toEqual(ids.slice(0, 2));
    expect(await listed("7d1c2a4e-0000-4000-8000-000000000002")).toEqual([ids[1]!]);
    expect(await listed("7d1c2a4")).toEqual(ids);
    expect(await listed("7d1c2a40")).toEqual([]);
    for (const bad of ["xyz", "7d1c2a4e0", "7d1c2a4e--", "%25"]) {
      const r = await api.get(`/api/tasks?id_prefix=${bad}`);
      expect(r.status).toBe(422);
      expect(r.body.details.map((d: { path: string }) => d.path)).toEqual(["/id_prefix"]);
    }
  });

  test("the limit is capped at 500", async () => {
    await api.db.execute(sql`insert into tasks (name, command, status) select 't' || i, 'true', 'scheduled' from generate_series(1, 501) i`);
    const r = await api.get("/api/tasks?limit=500");
    expect(r.body.tasks).toHaveLength(500);
    expect(r.body.next_cursor).not.toBeNull();
    const over = await api.get("/api/tasks?limit=501");
    expect(over.status).toBe(422);
    expect(over.body.details).toEqual([{ path: "/limit", message: "must be an integer from 1 to 500" }]);
  });

  test("bad parameters are 422, each named", async () => {
    const r = await api.get("/api/tasks?status=done&queue=Bad!&limit=abc&cursor=xyz");
    expect(r.status).toBe(422);
    expect(r.body.details.map((d: { path: string }) => d.path)).toEqual(["/status", "/queue", "/limit", "/cursor"]);
    for (const q of ["limit=0", "limit=-1", "limit=1.5", `cursor=${Buffer.from("2024-13-45T00:00:00.000000|x").toString("base64url")}`]) {
      expect((await api.get(`/api/tasks?${q}`)).status).toBe(422);
    }
  });
});
