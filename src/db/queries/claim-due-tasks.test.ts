/** claimDueTasks on a real database: order, queues, levels, and many claimers at once. */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { backends, describeEachBackend, openTestDatabase, type TestDatabase } from "../../../test/support/databases.ts";
import { insertCoordinator, insertTask, insertTasks, registerWorker } from "../../../test/support/factories.ts";
import { openDatabase, type Database } from "../client.ts";
import { taskAttempts, taskEvents, tasks } from "../schema/index.ts";
import { rows } from "../sql.ts";
import { claimDueTasks, claimDueTasksForSlots } from "./claim-due-tasks.ts";
import { getTask } from "./get-task.ts";

describeEachBackend("claimDueTasks", (backend) => {
  let d: TestDatabase;
  beforeAll(async () => {
    d = await openTestDatabase(backend);
  });
  afterAll(() => d.close());
  beforeEach(async () => {
    await d.db.execute(sql`truncate tasks, task_attempts, task_events, workers, concurrency_keys, task_dependencies cascade`);
  });

  test("claim takes due tasks by priority then run_at, only its queues, never future ones, up to the limit", async () => {
    const w = await registerWorker(d.db);
    const low = await insertTask(d.db, { priority: 0, runAt: new Date(Date.now() - 5000) });
    const high = await insertTask(d.db, { priority: 10, runAt: new Date(Date.now() - 1000) });
    const older = await insertTask(d.db, { priority: 0, runAt: new Date(Date.now() - 9000) });
    await insertTask(d.db, { runAt: new Date(Date.now() + 60_000) });
    await insertTask(d.db, { queue: "other" });
    const claimed = await claimDueTasks(d.db, { workerId: w, workerName: "w", queues: ["default"], limit: 2 });
    expect(claimed.map((c) => c.id)).toEqual([high.id, older.id]);
    expect(claimed.every((c) => c.attempt === 1)).toBe(true);
    const rest = await claimDueTasks(d.db, { workerId: w, workerName: "w", queues: ["default"], limit: 10 });
    expect(rest.map((c) => c.id)).toEqual([low.id]);
    const [row] = await d.db.select().from(tasks).where(eq(tasks.id, high.id));
    expect(row!.status).toBe("picked");
    expect(row!.workerId).toBe(w);
    expect(await d.db.select().from(taskEvents)).toEqual([]);
    const events = (await getTask(d.db, high.id))!.events;
    expect(events.map((e) => [e.status, e.attempt, e.worker, e.at])).toEqual([["picked", 1, "w", row!.pickedAt!]]);
    const attempts = await d.db.select().from(taskAttempts).where(eq(taskAttempts.taskId, high.id));
    expect(attempts).toMatchObject([{ attempt: 1, status: "picked", workerId: w }]);
  });

  test("one claim fills many workers' slots: the n-th task in claim order goes to the n-th slot, each with its attempt and event", async () => {
    const a = await registerWorker(d.db, { name: "a" });
    const b = await registerWorker(d.db, { name: "b" });
    const ago = (ms: number) => new Date(Date.now() - ms);
    const first = await insertTask(d.db, { runAt: ago(3000) });
    const second = await insertTask(d.db, { runAt: ago(2000) });
    const third = await insertTask(d.db, { runAt: ago(1000) });
    const slots = [{ workerId: a, workerName: "a" }, { workerId: b, workerName: "b" }, { workerId: a, workerName: "a" }, { workerId: b, workerName: "b" }];
    const claimed = await claimDueTasksForSlots(d.db, { queues: ["default"], slots });
    expect(claimed.map((c) => [c.id, c.workerId])).toEqual([[first.id, a], [second.id, b], [third.id, a]]);
    const rowsNow = await d.db.select().from(tasks);
    expect(Object.fromEntries(rowsNow.map((r) => [r.id, [r.workerId, r.worker]]))).toEqual({ [first.id]: [a, "a"], [second.id]: [b, "b"], [third.id]: [a, "a"] });
    const attempts = await d.db.select().from(taskAttempts);
    expect(Object.fromEntries(attempts.map((r) => [r.taskId, r.workerId]))).toEqual({ [first.id]: a, [second.id]: b, [third.id]: a });
    const events = await Promise.all([first, second, third].map(async (t) => (await getTask(d.db, t.id))!.events));
    expect(events.map((e) => e.map((x) => [x.taskId, x.status, x.worker]))).toEqual([[[first.id, "picked", "a"]], [[second.id, "picked", "b"]], [[third.id, "picked", "a"]]]);
  });

  test("tasks tied on priority and run_at fill each slot once", async () => {
    const a = await registerWorker(d.db, { name: "a" });
    const b = await registerWorker(d.db, { name: "b" });
    await insertTasks(d.db, 12, { runAt: new Date(Date.now() - 1000) });
    const slots = [{ workerId: a, workerName: "a" }, { workerId: b, workerName: "b" }, { workerId: a, workerName: "a" }, { workerId: b, workerName: "b" }];
    const claimed = await claimDueTasksForSlots(d.db, { queues: ["default"], slots });
    expect(claimed.filter((c) => c.workerId === a).length).toBe(2);
    expect(claimed.filter((c) => c.workerId === b).length).toBe(2);
  });

  test("claim across queues and priority levels: one order by priority then run_at; future tasks at any level wait", async () => {
    const w = await registerWorker(d.db, { queues: ["mail", "jobs"] });
    const ago = (ms: number) => new Date(Date.now() - ms);
    await insertTask(d.db, { queue: "mail", priority: 50, runAt: new Date(Date.now() + 60_000) });
    const mailLow = await insertTask(d.db, { queue: "mail", priority: -5, runAt: ago(9000) });
    const jobsTop = await insertTask(d.db, { queue: "jobs", priority: 20, runAt: ago(1000) });
    const mailMid = await insertTask(d.db, { queue: "mail", priority: 3, runAt: ago(2000) });
    const jobsMidOlder = await insertTask(d.db, { queue: "jobs", priority: 3, runAt: ago(3000) });
    await insertTasks(d.db, 5, { queue: "jobs", priority: 0, runAt: new Date(Date.now() + 60_000) });
    const jobsZero = await insertTask(d.db, { queue: "jobs", priority: 0, runAt: ago(500) });
    const claim = (limit: number) => claimDueTasks(d.db, { workerId: w, workerName: "w", queues: ["mail", "jobs"], limit });
    expect((await claim(3)).map((c) => c.id)).toEqual([jobsTop.id, jobsMidOlder.id, mailMid.id]);
    expect((await claim(10)).map((c) => c.id)).toEqual([jobsZero.id, mailLow.id]);
    expect(await claim(10)).toEqual([]);
  });

  test("claim race: two coordinators x 8 claimers claim each task exactly once, none before its run_at", async () => {
    // Two independent clients, like two coordinator processes (PGlite has only one connection).
    const second = d.url ? await openDatabase({ databaseUrl: d.url, dataDir: "" }) : d;
    const due = 1500;
    const soon = 500;
    await insertTasks(d.db, due);
    await insertTasks(d.db, soon, { runAt: sql`now() + interval '400 milliseconds'` as unknown as Date });
    await insertTasks(d.db, 100, { runAt: new Date(Date.now() + 3_600_000) });
    const ws = await Promise.all(Array.from({ length: 16 }, () => registerWorker(d.db)));
    const seen = new Map<string, number>();
    // A bound for a broken claim that loses tasks, not a time limit on a correct one: on a loaded
    // machine 2000 claims on PGlite took over 20 s.
    const deadline = Date.now() + 90_000;
    await Promise.all(
      ws.map(async (w, i) => {
        const db = i % 2 === 0 ? d.db : second.db;
        while (seen.size < due + soon && Date.now() < deadline) {
          const got = await claimDueTasks(db, { workerId: w, workerName: w, queues: ["default"], limit: 7 });
          for (const g of got) seen.set(g.id, (seen.get(g.id) ?? 0) + 1);
          if (got.length === 0) await Bun.sleep(5);
        }
      }),
    );
    if (second !== d) await second.close();
    expect(seen.size).toBe(due + soon);
    expect([...seen.values()].every((v) => v === 1)).toBe(true);
    const early = await d.db.execute(sql`select count(*)::int as n from task_attempts a join tasks t on t.id = a.task_id where a.picked_at < t.run_at`);
    expect(rows<{ n: number }>(early)[0]!.n).toBe(0);
    const attempts = await d.db.execute(sql`select count(*)::int as n from task_attempts`);
    expect(rows<{ n: number }>(attempts)[0]!.n).toBe(due + soon);
  });
});

// pg_prepared_statements is per connection: PostgreSQL only, through a pool of one.
for (const backend of backends().filter((b) => b === "postgres")) {
  describe(`claimDueTasks plans [${backend}]`, () => {
    let d: TestDatabase;
    let one: Database;
    beforeAll(async () => {
      d = await openTestDatabase(backend);
      one = await openDatabase({ databaseUrl: d.url!, dataDir: "", poolSize: 1 });
    });
    afterAll(async () => {
      await one?.close();
      await d?.close();
    });

    test("the claim is planned once per connection (a generic plan), not again at every claim", async () => {
      const w = await registerWorker(d.db);
      await insertTasks(d.db, 12);
      for (let i = 0; i < 6; i++) expect(await claimDueTasks(one.db, { workerId: w, workerName: "w", queues: ["default"], limit: 1 })).toHaveLength(1);
      const slots = [{ workerId: w, workerName: "w" }];
      for (let i = 0; i < 6; i++) expect(await claimDueTasksForSlots(one.db, { queues: ["default"], slots })).toHaveLength(1);
      const plans = await one.db.execute(sql`
        select generic_plans::int as generic, custom_plans::int as custom from pg_prepared_statements
        where statement like '%with recursive open_queues as%' order by statement`);
      // Two statements (one worker's claim, and the slots' claim), each run 6 times, never planned with its values.
      expect(rows<{ generic: number; custom: number }>(plans)).toEqual([
        { generic: 6, custom: 0 },
        { generic: 6, custom: 0 },
      ]);
    });
  });
}
