import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { describeEachBackend, openTestDatabase, type TestDatabase } from "../../../test/support/databases.ts";
import { insertTask } from "../../../test/support/factories.ts";
import { msUntilNextDue } from "./next-due.ts";

describeEachBackend("msUntilNextDue", (backend) => {
  let d: TestDatabase;
  beforeAll(async () => {
    d = await openTestDatabase(backend);
  });
  afterAll(() => d.close());
  beforeEach(async () => {
    await d.db.execute(sql`truncate tasks, task_attempts, task_events, workers cascade`);
  });

  test("next due: milliseconds until the nearest run_at of the given queues", async () => {
    expect(await msUntilNextDue(d.db, ["default"])).toBeNull();
    await insertTask(d.db, { runAt: new Date(Date.now() + 30_000) });
    await insertTask(d.db, { queue: "q2", runAt: new Date(Date.now() + 5_000) });
    const ms = await msUntilNextDue(d.db, ["default"]);
    expect(ms).toBeGreaterThan(25_000);
    expect(ms).toBeLessThanOrEqual(30_000);
    expect(await msUntilNextDue(d.db, ["default", "q2"])).toBeLessThanOrEqual(5_000);
  });
});

describeEachBackend("msUntilNextDue leaves out what the claim may not take", (backend) => {
  let d: TestDatabase;
  beforeAll(async () => {
    d = await openTestDatabase(backend);
  });
  afterAll(() => d.close());
  beforeEach(async () => {
    await d.db.execute(sql`truncate tasks, task_attempts, task_events, workers, queues, concurrency_keys, task_dependencies cascade`);
  });

  test("paused queues, blocked tasks and full keys do not count; a key with a free slot does", async () => {
    const soon = new Date(Date.now() + 20_000);
    await insertTask(d.db, { runAt: new Date(Date.now() - 1000), blockedBy: 1 });
    await insertTask(d.db, { concurrencyKey: "k", status: "running" });
    await insertTask(d.db, { concurrencyKey: "k", runAt: new Date(Date.now() - 1000) });
    await insertTask(d.db, { queue: "p", runAt: new Date(Date.now() - 1000) });
    await d.db.execute(sql`update queues set paused = true where name = 'p'`);
    await insertTask(d.db, { runAt: soon });
    const ms = await msUntilNextDue(d.db, ["default", "p"]);
    expect(ms).toBeGreaterThan(15_000);
    await insertTask(d.db, { concurrencyKey: "free", concurrencyLimit: 2, runAt: new Date(Date.now() - 500) });
    expect(await msUntilNextDue(d.db, ["default"])).toBeLessThanOrEqual(0);
  });
});
