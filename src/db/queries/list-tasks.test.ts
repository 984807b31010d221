/** listTasks at scale: every page is read from an index in order, never sorted from the whole table. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { describeEachBackend, openTestDatabase, type TestDatabase } from "../../../test/support/databases.ts";
import { listTasksQuery, type TaskListFilter } from "./list-tasks.ts";

describeEachBackend("listTasks plans", (backend) => {
  let d: TestDatabase;
  beforeAll(async () => {
    d = await openTestDatabase(backend);
  });
  afterAll(() => d.close());

  // On a near-empty table scanning and sorting is cheapest; forbidding that shows what the planner can do at scale.
  const plan = (f: TaskListFilter, forbidden = ["enable_seqscan", "enable_bitmapscan", "enable_sort"]) =>
    d.db.transaction(async (tx) => {
      for (const off of forbidden) await tx.execute(sql.raw(`set local ${off} = off`));
      const r = await tx.execute(sql`explain ${listTasksQuery(tx, f)}`);
      return (Array.isArray(r) ? r : (r as { rows: unknown[] }).rows).map((row) => Object.values(row as object)[0]).join("\n");
    });

  test("all tasks and by status: an index scan in the page's order, with no sort", async () => {
    const base: TaskListFilter = { statuses: [], queue: null, nameContains: null, scheduleId: null, limit: 50, after: null };
    const after = { createdAt: "2030-01-01T00:00:00.000000", seq: 42 };
    for (const f of [base, { ...base, after }, { ...base, statuses: ["failed"] }, { ...base, statuses: ["failed"], after }]) {
      const p = await plan(f);
      // The indexes are stored oldest first (schema/tasks.ts, newestLast): newest first is a backward scan.
      expect(p).toMatch(/Index Scan Backward using tasks_(status_)?created_idx/);
      expect(p).not.toContain("Sort");
    }
  });

  test("a schedule's and a parent's tasks: a backward scan of their own index, with no sort", async () => {
    const base: TaskListFilter = { statuses: [], queue: null, nameContains: null, scheduleId: null, limit: 50, after: null };
    const id = "7d1c2a4e-0000-4000-8000-000000000000";
    const after = { createdAt: "2030-01-01T00:00:00.000000", seq: 42 };
    for (const [f, index] of [
      [{ ...base, scheduleId: id }, "tasks_schedule_created_idx"],
      [{ ...base, scheduleId: id, after }, "tasks_schedule_created_idx"],
      [{ ...base, parentId: id }, "tasks_parent_idx"],
      [{ ...base, parentId: id, after }, "tasks_parent_idx"],
    ] as const) {
      const p = await plan(f);
      expect(p).toContain(`Index Scan Backward using ${index}`);
      expect(p).not.toContain("Sort");
    }
  });

  test("an id prefix is a range scan of the primary key, not a walk of the listing's index", async () => {
    const f: TaskListFilter = { statuses: [], queue: null, nameContains: null, scheduleId: null, limit: 6, after: null, idRange: { from: "7d1c2a4e-0000-0000-0000-000000000000", to: "7d1c2a4e-ffff-ffff-ffff-ffffffffffff" } };
    // A few matching rows are sorted; only a full scan is forbidden.
    const p = await plan(f, ["enable_seqscan"]);
    expect(p).toMatch(/Index Cond: \(\(id >= .*\) AND \(id <= .*\)\)/);
    expect(p).toContain("tasks_pkey");
  });
});
