import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { describeEachBackend, openTestDatabase, type TestDatabase } from "../../../test/support/databases.ts";
import { registerWorker } from "../../../test/support/factories.ts";
import { countWorkers } from "./count-workers.ts";

describeEachBackend("countWorkers", (backend) => {
  let d: TestDatabase;
  beforeAll(async () => {
    d = await openTestDatabase(backend);
  });
  afterAll(() => d.close());
  beforeEach(async () => {
    await d.db.execute(sql`truncate tasks, task_attempts, task_output_chunks, task_events, workers`);
  });

  test("counts live workers and recently dead ones", async () => {
    await registerWorker(d.db);
    await registerWorker(d.db, { draining: true });
    const old = await registerWorker(d.db);
    const recent = await registerWorker(d.db);
    await d.db.execute(sql`update workers set status = 'dead', stopped_at = now() - interval '2 days' where id = ${old}`);
    await d.db.execute(sql`update workers set status = 'dead', stopped_at = now() where id = ${recent}`);
    expect((await countWorkers(d.db)).recent).toEqual({ alive: 1, draining: 1, dead: 1 });
  });

  test("workers by status, and live ones by coordinator", async () => {
    await registerWorker(d.db, { coordinator: "c1:50051" });
    await registerWorker(d.db, { coordinator: "c1:50051", draining: true });
    await registerWorker(d.db, { coordinator: "c2:50051" });
    const dead = await registerWorker(d.db, { coordinator: "c2:50051" });
    await d.db.execute(sql`update workers set status = 'dead' where id = ${dead}`);
    const c = await countWorkers(d.db);
    const s = { workers: c.byStatus, connectedByCoordinator: c.connectedByCoordinator };
    expect(s.workers).toEqual({ alive: 2, draining: 1, dead: 1 });
    expect(s.connectedByCoordinator).toEqual({ "c1:50051": 2, "c2:50051": 1 });
  });

  test("alive workers by queue: draining and dead sessions take no new work", async () => {
    await registerWorker(d.db, { queues: ["default", "io"] });
    await registerWorker(d.db, { draining: true, queues: ["gpu"] });
    await registerWorker(d.db, {});
    const dead = await registerWorker(d.db, { queues: ["gpu"] });
    await d.db.execute(sql`update workers set status = 'dead' where id = ${dead}`);
    expect((await countWorkers(d.db)).aliveByQueue).toEqual({ default: 2, io: 1 });
  });
});
