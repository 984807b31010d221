import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { describeEachBackend, openTestDatabase, type TestDatabase } from "../../../test/support/databases.ts";
import { insertTask, insertTasks } from "../../../test/support/factories.ts";
import { countLiveTasks } from "../../db/queries/count-live-tasks.ts";
import type { TaskStatus } from "../../core/task-status.ts";
import type { Db } from "../../db/client.ts";
import { FINISHED_COUNT_CAP, type FinishedCounts } from "../../db/queries/finished-counts.ts";
import { StatusCounts } from "../../../views/fragments/status-counts.tsx";
import { QueueLagTable } from "../../../views/fragments/queue-lag.tsx";
import { CAPPED_RECOUNT_MS, CappedFinishedCounts, liveTaskCounts, queueLagOf } from "./overview-data.ts";

const CAP = FINISHED_COUNT_CAP;

test("a finished status at the cap is counted again only every CAPPED_RECOUNT_MS; the others on every load", async () => {
  let now = 0;
  const asked: string[][] = [];
  const truth: FinishedCounts = { completed: CAP, failed: 7, cancelled: 0 };
  const count = async (_db: Db, cap = CAP, statuses: readonly TaskStatus[] = ["completed", "failed", "cancelled"]) => {
    asked.push([...statuses]);
    const out: FinishedCounts = { completed: 0, failed: 0, cancelled: 0 };
    for (const s of statuses) out[s as keyof FinishedCounts] = Math.min(cap, truth[s as keyof FinishedCounts]);
    return out;
  };
  const counts = new CappedFinishedCounts(count, () => now);
  const db = {} as Db;
  expect(await counts.read(db)).toEqual(truth);
  truth.failed = 8;
  now += CAPPED_RECOUNT_MS - 1;
  expect(await counts.read(db)).toEqual({ completed: CAP, failed: 8, cancelled: 0 });
  now += 1;
  expect(await counts.read(db)).toEqual({ completed: CAP, failed: 8, cancelled: 0 });
  expect(asked).toEqual([
    ["completed", "failed", "cancelled"],
    ["failed", "cancelled"],
    ["completed", "failed", "cancelled"],
  ]);
});

test("counts at the cap read as a lower bound, finished statuses only, and still link to their list", () => {
  const counts: Record<TaskStatus, number> = { created: 0, scheduled: 250_000, picked: 0, running: 2, completed: CAP, failed: 20_000, cancelled: 0 };
  const html = StatusCounts({ counts, cap: CAP }) as string;
  expect(html).toContain('href="/tasks?status=completed" title="counted up to 100,000"><span class="count-n">100,000+</span>');
  expect(html).toContain('href="/tasks?status=failed"><span class="count-n">20,000</span>');
  expect(html).toContain('href="/tasks?status=scheduled"><span class="count-n">250,000</span>');
  expect(html).toMatch(/href="\/tasks"[^>]*><span class="count-n">370,002\+<\/span>/);
  const small = StatusCounts({ counts: { ...counts, completed: 3 }, cap: CAP }) as string;
  expect(small).not.toContain("+");
});

const ago = (ms: number) => sql`now() - ${ms} * interval '1 millisecond'` as unknown as Date;

describeEachBackend("the overview's live counts (the same query as /metrics)", (backend) => {
  let d: TestDatabase;
  beforeAll(async () => {
    d = await openTestDatabase(backend);
  });
  afterAll(() => d.close());
  beforeEach(async () => {
    await d.db.execute(sql`truncate tasks, task_attempts, task_output_chunks, task_events, workers`);
  });

  test("counts tasks in the statuses asked for, each present", async () => {
    await insertTasks(d.db, 3, { status: "running" });
    await insertTasks(d.db, 2, { status: "failed" });
    const { created, picked, running } = liveTaskCounts(await countLiveTasks(d.db));
    expect({ created, picked, running }).toEqual({ created: 0, picked: 0, running: 3 });
  });

  test("queue lag: the oldest due scheduled task per queue; future tasks wait but add no lag; a queue no alive worker serves is flagged", async () => {
    await insertTask(d.db, { queue: "mail", runAt: ago(30_000) });
    await insertTask(d.db, { queue: "mail", runAt: ago(5_000) });
    await insertTask(d.db, { queue: "later", runAt: ago(-3600_000) });
    await insertTask(d.db, { queue: "done", status: "completed", runAt: ago(99_000) });
    const lag = queueLagOf(await countLiveTasks(d.db), { mail: 2 });
    expect(lag.map((l) => [l.queue, l.waiting, l.due, l.workers])).toEqual([
      ["later", 1, 0, 0],
      ["mail", 2, 2, 2],
    ]);
    // The panel warns about the queue nobody serves.
    const html = QueueLagTable({ queues: lag }) as string;
    expect(html).toContain("no live worker serves queue <span>later</span>");
    expect(html).not.toContain("serves queue <span>mail</span>");
    expect(lag[0]!.lagMs).toBe(0);
    expect(lag[1]!.lagMs).toBeGreaterThanOrEqual(29_000);
    expect(lag[1]!.lagMs).toBeLessThan(60_000);
  });
});
