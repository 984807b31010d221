/** The claim's concurrency keys on a real database: the limit holds within a claim, across claims, and across racing coordinators. */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { describeEachBackend, openTestDatabase, type TestDatabase } from "../../../test/support/databases.ts";
import { insertTask, insertTasks, registerWorker } from "../../../test/support/factories.ts";
import { openDatabase } from "../client.ts";
import { rows, uuidArray } from "../sql.ts";
import { claimDueTasks } from "./claim-due-tasks.ts";

describeEachBackend("claimDueTasks with concurrency keys", (backend) => {
  let d: TestDatabase;
  beforeAll(async () => {
    d = await openTestDatabase(backend);
  });
  afterAll(() => d.close());
  beforeEach(async () => {
    await d.db.execute(sql`truncate tasks, task_attempts, task_events, workers, concurrency_keys, task_dependencies cascade`);
  });

  const finish = (ids: string[]) => d.db.execute(sql`update tasks set status = 'completed', finished_at = now() where id = any(${uuidArray(ids)}::uuid[])`);
  const keyRow = async (key: string) =>
    rows<{ active: number; waiting: number; lim: number }>(await d.db.execute(sql`select active, waiting, lim from concurrency_keys where key = ${key}`))[0];

  test("at most the key's limit is picked or running; finishing one frees a slot; tasks without a key are not held back", async () => {
    const w = await registerWorker(d.db);
    const keyed = await insertTasks(d.db, 5, { concurrencyKey: "deploy", concurrencyLimit: 2 });
    const free = await insertTasks(d.db, 3);
    const claim = (limit: number) => claimDueTasks(d.db, { workerId: w, workerName: "w", queues: ["default"], limit });
    const first = await claim(10);
    expect(first.filter((t) => keyed.some((k) => k.id === t.id))).toHaveLength(2);
    expect(first.filter((t) => free.some((f) => f.id === t.id))).toHaveLength(3);
    expect(await claim(10)).toEqual([]);
    expect(await keyRow("deploy")).toEqual({ active: 2, waiting: 3, lim: 2 });
    await finish([first.find((t) => keyed.some((k) => k.id === t.id))!.id]);
    expect(await claim(10)).toHaveLength(1);
    expect(await keyRow("deploy")).toEqual({ active: 2, waiting: 2, lim: 2 });
  });

  test("keyed tasks are claimed by priority then run_at within their key, and only from the worker's queues", async () => {
    const w = await registerWorker(d.db, { queues: ["a"] });
    await insertTask(d.db, { concurrencyKey: "k", concurrencyLimit: 5, queue: "b" });
    const old = await insertTask(d.db, { concurrencyKey: "k", concurrencyLimit: 5, queue: "a", runAt: new Date(Date.now() - 9000) });
    const high = await insertTask(d.db, { concurrencyKey: "k", concurrencyLimit: 5, queue: "a", priority: 5 });
    await insertTask(d.db, { concurrencyKey: "k", concurrencyLimit: 5, queue: "a", runAt: new Date(Date.now() + 60_000) });
    const got = await claimDueTasks(d.db, { workerId: w, workerName: "w", queues: ["a"], limit: 10 });
    expect(got.map((t) => t.id)).toEqual([high.id, old.id]);
  });

  test("10,000 tasks waiting behind a full key do not slow or block tasks without a key", async () => {
    const w = await registerWorker(d.db);
    await insertTask(d.db, { concurrencyKey: "busy", status: "running" });
    await d.db.execute(sql`insert into tasks (name, command, status, concurrency_key, run_at)
      select 'k' || i, 'true', 'scheduled', 'busy', now() - interval '1 minute' from generate_series(1, 10000) i`);
    const free = await insertTasks(d.db, 5);
    expect(await keyRow("busy")).toEqual({ active: 1, waiting: 10_000, lim: 1 });
    const started = performance.now();
    const got = await claimDueTasks(d.db, { workerId: w, workerName: "w", queues: ["default"], limit: 10 });
    const ms = performance.now() - started;
    expect(got.map((t) => t.id).sort()).toEqual(free.map((t) => t.id).sort());
    // Well under what walking 10,000 rows would cost on either backend.
    expect(ms).toBeLessThan(backend === "pglite" ? 500 : 100);
  });

  test("claim race: 2 coordinators x 4 claimers over 200 tasks with one key (limit 3): never more than 3 held, all claimed once", async () => {
    const second = d.url ? await openDatabase({ databaseUrl: d.url, dataDir: "" }) : d;
    const total = 200;
    const keyedIds = new Set((await insertTasks(d.db, total, { concurrencyKey: "env-prod", concurrencyLimit: 3 })).map((t) => t.id));
    await insertTasks(d.db, 50);
    const ws = await Promise.all(Array.from({ length: 8 }, () => registerWorker(d.db)));
    // A keyed task enters `held` after its claim commits and leaves before its completion
    // commits, so `held` never counts more than the database has picked or running.
    const held = new Set<string>();
    const done = new Set<string>();
    const claims = new Map<string, number>();
    let maxHeld = 0;
    let maxSampled = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [r] = rows<{ n: number }>(await second.db.execute(sql`select count(*)::int as n from tasks where concurrency_key = 'env-prod' and status in ('picked', 'running')`));
        maxSampled = Math.max(maxSampled, Number(r!.n));
        await Bun.sleep(3);
      }
    })();
    const deadline = Date.now() + 60_000;
    await Promise.all(
      ws.map(async (w, i) => {
        const db = i % 2 === 0 ? d.db : second.db;
        while (done.size < total && Date.now() < deadline) {
          const got = await claimDueTasks(db, { workerId: w, workerName: w, queues: ["default"], limit: 4 });
          for (const g of got) claims.set(g.id, (claims.get(g.id) ?? 0) + 1);
          const mine = got.filter((g) => keyedIds.has(g.id)).map((g) => g.id);
          for (const id of mine) held.add(id);
          maxHeld = Math.max(maxHeld, held.size);
          await Bun.sleep(2);
          for (const id of mine) held.delete(id), done.add(id);
          if (got.length > 0) await db.execute(sql`update tasks set status = 'completed', finished_at = now() where id = any(${uuidArray(got.map((g) => g.id))}::uuid[])`);
          else await Bun.sleep(2);
        }
      }),
    );
    sampling = false;
    await sampler;
    if (second !== d) await second.close();
    expect(done.size).toBe(total);
    expect([...claims.values()].every((n) => n === 1)).toBe(true);
    expect(maxHeld).toBeLessThanOrEqual(3);
    expect(maxSampled).toBeLessThanOrEqual(3);
    expect(maxSampled).toBeGreaterThan(0);
    expect(await keyRow("env-prod")).toEqual({ active: 0, waiting: 0, lim: 3 });
  });
});
