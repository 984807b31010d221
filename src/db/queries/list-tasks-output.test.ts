/** listTasks by output: a substring of an attempt's stdout or stderr tail, served by the trigram index. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { describeEachBackend, openTestDatabase, type TestDatabase } from "../../../test/support/databases.ts";
import { insertTask } from "../../../test/support/factories.ts";
import { taskAttempts } from "../schema/index.ts";
import { listTasks, listTasksQuery, type TaskListFilter } from "./list-tasks.ts";

const filter = (outputContains: string): TaskListFilter => ({ statuses: [], queue: null, nameContains: null, outputContains, scheduleId: null, limit: 50, after: null });

describeEachBackend("listTasks by output", (backend) => {
  let d: TestDatabase;
  beforeAll(async () => {
    d = await openTestDatabase(backend);
  });
  afterAll(() => d.close());

  test("finds tasks by a word of stdout or stderr, case-insensitively, with LIKE characters taken literally", async () => {
    const a = await insertTask(d.db, { status: "failed" });
    const b = await insertTask(d.db, { status: "completed" });
    const c = await insertTask(d.db, { status: "completed" });
    await d.db.insert(taskAttempts).values([
      { taskId: a.id, attempt: 1, status: "failed", stdoutTail: "starting\n", stderrTail: "Error: DISK quota exceeded\n" },
      { taskId: a.id, attempt: 2, status: "failed", stdoutTail: null, stderrTail: null },
      { taskId: b.id, attempt: 1, status: "completed", stdoutTail: "100% done\n", stderrTail: null },
      { taskId: c.id, attempt: 1, status: "completed", stdoutTail: "1000 done\n", stderrTail: null },
    ]);
    expect((await listTasks(d.db, filter("disk quota"))).tasks.map((t) => t.id)).toEqual([a.id]);
    expect((await listTasks(d.db, filter("% done"))).tasks.map((t) => t.id)).toEqual([b.id]);
    expect((await listTasks(d.db, filter("starting"))).tasks.map((t) => t.id)).toEqual([a.id]);
    expect((await listTasks(d.db, filter("nowhere to be found"))).tasks).toEqual([]);
  });

  test("the search can use the trigram index", async () => {
    const p = await d.db.transaction(async (tx) => {
      // On a near-empty table a scan is cheapest; forbidding scans shows what the planner can do at scale.
      for (const off of ["enable_seqscan", "enable_indexscan"]) await tx.execute(sql.raw(`set local ${off} = off`));
      const r = await tx.execute(sql`explain ${listTasksQuery(tx, filter("quota exceeded"))}`);
      return (Array.isArray(r) ? r : (r as { rows: unknown[] }).rows).map((row) => Object.values(row as object)[0]).join("\n");
    });
    expect(p).toContain("Bitmap Index Scan on task_attempts_output_trgm_idx");
  });
});
