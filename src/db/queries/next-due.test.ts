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
