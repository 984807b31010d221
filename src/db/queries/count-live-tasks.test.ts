import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { describeEachBackend, openTestDatabase, type TestDatabase } from "../../../test/support/databases.ts";
import { insertTask, insertTasks } from "../../../test/support/factories.ts";
import { countLiveTasks } from "./count-live-tasks.ts";
import { finishedCounts } from "./finished-counts.ts";

const ago = (ms: number) => sql`now() - ${ms} * interval '1 millisecond'` as unknown as Date;

describeEachBackend("countLiveTasks", (backend) => {
  let d: TestDatabase;
  beforeAll(async () => {
    d = await openTestDatabase(backend);
  });
  afterAll(() => d.close());
  beforeEach(async () => {
    await d.db.execute(sql`truncate tasks, task_attempts, task_output_chunks, task_events, workers`);
  });

  test("live tasks by queue and status, due tasks and each queue's lag", async () => {
    await insertTask(d.db, { queue: "mail", runAt: ago(30_000) });
    await insertTask(d.db, { queue: "mail", runAt: ago(-3_600_000) });
    await insertTasks(d.db, 2, { queue: "mail", status: "running" });
    await insertTask(d.db, { queue: "video", status: "picked" });
    await insertTasks(d.db, 3, { queue: "mail", status: "completed" });
    const s = { queues: await countLiveTasks(d.db) };
    expect(s.queues.map((q) => [q.queue, q.counts, q.due])).toEqual([
      ["mail", { created: 0, scheduled: 2, picked: 0, running: 2 }, 1],
      ["video", { created: 0, scheduled: 0, picked: 1, running: 0 }, 0],
    ]);
    expect(s.queues[0]!.lagSeconds).toBeGreaterThanOrEqual(29);
    expect(s.queues[0]!.lagSeconds).toBeLessThan(60);
    expect(s.queues[1]!.lagSeconds).toBe(0);
    expect(await finishedCounts(d.db)).toEqual({ completed: 3, failed: 0, cancelled: 0 });
  });
});
