import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { sql, type SQL } from "drizzle-orm";
import { describeEachBackend, openTestDatabase, type TestDatabase } from "../../../test/support/databases.ts";
import { insertTask, insertTasks } from "../../../test/support/factories.ts";
import { finishedCounts } from "./finished-counts.ts";
import { listRecentFailures, recentFailuresQuery } from "./list-recent-failures.ts";
import { throughputPerMinute } from "./throughput-per-minute.ts";
import type { Db } from "../client.ts";
import { rows } from "../sql.ts";

/** The statement a query function sends (it gets no rows back). */
async function sqlOf(run: (db: Db) => Promise<unknown>): Promise<SQL> {
  let sent: SQL | undefined;
  await run({ execute: async (q: SQL) => ((sent = q), []) } as unknown as Db);
  return sent!;
}

const ago = (ms: number) => sql`now() - ${ms} * interval '1 millisecond'` as unknown as Date;

describeEachBackend("reads of finished tasks (tasks_status_finished_idx)", (backend) => {
  let d: TestDatabase;
  beforeAll(async () => {
    d = await openTestDatabase(backend);
  });
  afterAll(() => d.close());
  beforeEach(async () => {
    await d.db.execute(sql`truncate tasks, task_attempts, task_output_chunks, task_events, workers`);
  });

  test("finished tasks are counted up to the cap, through the finished index", async () => {
    await insertTasks(d.db, 5, { status: "completed", finishedAt: ago(0) });
    await insertTasks(d.db, 2, { status: "failed", finishedAt: ago(0) });
    await insertTasks(d.db, 1, { status: "scheduled" });
    expect(await finishedCounts(d.db, 3)).toEqual({ completed: 3, failed: 2, cancelled: 0 });
    expect(await finishedCounts(d.db, 3, ["failed"])).toEqual({ completed: 0, failed: 2, cancelled: 0 });
  });

  test("the overview's reads of finished tasks use the finished index on a big table, without a sort", async () => {
    // Enough finished rows, and fresh statistics, for the planner to weigh a scan against the index.
    await d.db.execute(sql`
      insert into tasks (name, command, status, attempt, started_at, finished_at)
      select 'h' || g, 'true', case when g % 50 = 0 then 'failed' else 'completed' end, 1, now() - g * interval '1 min', now() - g * interval '1 min'
      from generate_series(1, 20000) g`);
    await d.db.execute(sql`analyze tasks`);
    const queries = [await sqlOf((db) => finishedCounts(db, 5000)), sql`${recentFailuresQuery(d.db)}`, await sqlOf((db) => throughputPerMinute(db))];
    for (const q of queries) {
      const plan = rows<Record<string, string>>(await d.db.execute(sql`explain ${q}`))
        .map((r) => Object.values(r)[0])
        .join("\n");
      expect(plan).toContain("tasks_status_finished_idx");
      expect(plan).not.toMatch(/Seq Scan on tasks|Sort Key: tasks\./);
    }
  });

  test("throughput: 60 minutes oldest first, finished tasks counted in their minute", async () => {
    await insertTasks(d.db, 2, { status: "completed", finishedAt: ago(0) });
    await insertTask(d.db, { status: "failed", finishedAt: ago(0) });
    await insertTask(d.db, { status: "completed", finishedAt: ago(10 * 60_000) });
    await insertTask(d.db, { status: "completed", finishedAt: ago(2 * 3600_000) });
    await insertTask(d.db, { status: "running" });
    const minutes = await throughputPerMinute(d.db);
    expect(minutes).toHaveLength(60);
    expect(minutes.every((m, i) => i === 0 || m.minute.getTime() - minutes[i - 1]!.minute.getTime() === 60_000)).toBe(true);
    expect(minutes.at(-1)).toMatchObject({ completed: 2, failed: 1 });
    expect(minutes.reduce((a, m) => a + m.completed, 0)).toBe(3);
    expect(minutes.at(-1)!.minute.getTime()).toBeLessThanOrEqual(Date.now());
  });

  test("recent failures: newest failure first, failed tasks only", async () => {
    const older = await insertTask(d.db, { status: "failed", finishedAt: ago(60_000), error: "exit 1" });
    const newer = await insertTask(d.db, { status: "failed", finishedAt: ago(1_000), error: "exit 2" });
    await insertTask(d.db, { status: "completed", finishedAt: ago(0) });
    expect((await listRecentFailures(d.db)).map((t) => t.id)).toEqual([newer.id, older.id]);
    expect(await listRecentFailures(d.db, 1)).toHaveLength(1);
  });
});
