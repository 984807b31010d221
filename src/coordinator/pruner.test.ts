/** The pruner on a real database, both backends: exactly the rows past each policy go, with their attempts and events. */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { eq, inArray, sql } from "drizzle-orm";
import { describeEachBackend, openTestDatabase, type TestDatabase } from "../../test/support/databases.ts";
import { insertTask, registerWorker } from "../../test/support/factories.ts";
import type { RetentionPolicy } from "../core/retention.ts";
import { openDatabase } from "../db/client.ts";
import { countPrunableTasks, countPrunableWorkers } from "../db/queries/count-prunable.ts";
import { getSchedule } from "../db/queries/get-schedule.ts";
import { pruneFinishedTasks } from "../db/queries/prune-finished-tasks.ts";
import { retentionStats } from "../db/queries/retention-stats.ts";
import { retryTask } from "../db/queries/retry-task.ts";
import { tickDueSchedules } from "../db/queries/tick-schedules.ts";
import { rows } from "../db/sql.ts";
import { pruneTotals, schedules, taskAttempts, taskEvents, tasks, workers, type TaskRow } from "../db/schema/index.ts";
import { roleLogger } from "../log/logger.ts";
import { Pruner } from "./pruner.ts";

const HOUR = 3_600_000;
const log = roleLogger("coordinator", "pruner-test");
/** A schedule's task template as the API stores it. */
const TEMPLATE = { command: "true", env: {}, queue: "default", priority: 0, max_retries: 0, backoff_ms: 1000, backoff_factor: 2, backoff_max_ms: 3_600_000, timeout_ms: null };
const OFF: RetentionPolicy = { completed: null, failed: null, cancelled: null, workers: null };

describeEachBackend("pruner", (backend) => {
  let d: TestDatabase;
  beforeAll(async () => {
    d = await openTestDatabase(backend);
  });
  afterAll(() => d.close());
  beforeEach(async () => {
    await d.db.execute(sql`truncate tasks, task_attempts, task_events, workers, schedules, prune_totals cascade`);
  });

  const pruner = (policy: Partial<RetentionPolicy>, batchSize = 1000) => new Pruner(d.db, { ...OFF, ...policy }, log, { batchSize, restFactor: 0 });

  /** A task in `status` that finished `ageMs` ago (null: not finished), with one attempt and three events. */
  async function task(status: string, ageMs: number | null, extra: Partial<TaskRow> = {}): Promise<TaskRow> {
    const finishedAt = ageMs === null ? null : (sql`now() - ${ageMs} * interval '1 millisecond'` as unknown as Date);
    const t = await insertTask(d.db, { status, finishedAt, attempt: 1, createdAt: sql`now() - interval '100 days'` as unknown as Date, ...extra });
    await d.db.insert(taskAttempts).values({ taskId: t.id, attempt: 1, status: status === "scheduled" ? "failed" : status, worker: "w", stdoutTail: "out" });
    await d.db.insert(taskEvents).values(["created", "scheduled", status].map((s) => ({ taskId: t.id, status: s })));
    return t;
  }

  const ids = async () => (await d.db.select({ id: tasks.id }).from(tasks)).map((r) => r.id).sort();
  const countOf = async (table: typeof taskAttempts | typeof taskEvents, taskIds: string[]) =>
    taskIds.length === 0 ? 0 : (await d.db.select().from(table).where(inArray(table.taskId, taskIds))).length;

  test("each policy removes exactly the tasks past it, with their attempts and events; live, recent and other statuses stay", async () => {
    const oldCompleted = await task("completed", 3 * HOUR);
    const recentCompleted = await task("completed", 10 * 60_000);
    const oldFailed = await task("failed", 50 * HOUR);
    const youngerFailed = await task("failed", 3 * HOUR);
    const oldCancelled = await task("cancelled", 3 * HOUR);
    // Live tasks made long ago are never finished, whatever their age.
    const live = [await task("scheduled", null), await task("running", null), await task("picked", null), await task("created", null)];
    const result = await pruner({ completed: HOUR, failed: 24 * HOUR, cancelled: 2 * HOUR }).runOnce();

    const gone = [oldCompleted.id, oldFailed.id, oldCancelled.id];
    const kept = [recentCompleted.id, youngerFailed.id, ...live.map((t) => t.id)];
    expect(await ids()).toEqual([...kept].sort());
    expect(result).toMatchObject({ tasks: 3, attempts: 3, events: 9, workers: 0 });
    expect(await countOf(taskAttempts, gone)).toBe(0);
    expect(await countOf(taskEvents, gone)).toBe(0);
    expect(await countOf(taskAttempts, kept)).toBe(kept.length);
    expect(await countOf(taskEvents, kept)).toBe(3 * kept.length);
    const totals = Object.fromEntries((await d.db.select().from(pruneTotals)).map((r) => [r.tableName, r.removed]));
    expect(totals).toEqual({ tasks: 3, task_attempts: 3, task_events: 9 });
  });

  test("a policy turned off keeps its status forever", async () => {
    const failed = await task("failed", 1000 * 24 * HOUR);
    const completed = await task("completed", 1000 * 24 * HOUR);
    const result = await pruner({ completed: HOUR }).runOnce();
    expect(result.tasks).toBe(1);
    expect(await ids()).toEqual([failed.id]);
    expect(completed.id).not.toBe(failed.id);
  });

  test("many batches: a backlog larger than a batch is removed in one pass, oldest first", async () => {
    const made: TaskRow[] = [];
    for (let i = 0; i < 23; i++) made.push(await task("completed", (i + 2) * HOUR));
    const recent = await task("completed", 60_000);
    const p = pruner({ completed: HOUR }, 5);
    expect(await countPrunableTasks(d.db, "completed", HOUR)).toEqual({ tasks: 23, attempts: 23, events: 69 });
    // One batch takes the five that finished longest ago.
    expect((await pruneFinishedTasks(d.db, { status: "completed", olderThanMs: HOUR, limit: 5 })).tasks).toBe(5);
    expect(await ids()).toEqual([...made.slice(0, 18).map((t) => t.id), recent.id].sort());
    expect((await p.runOnce()).tasks).toBe(18);
    expect(await ids()).toEqual([recent.id]);
    expect((await p.runOnce()).tasks).toBe(0);
  });

  test("dead worker sessions go after their period; live and recently dead ones stay", async () => {
    const old = await registerWorker(d.db);
    const recent = await registerWorker(d.db);
    const alive = await registerWorker(d.db);
    await d.db.update(workers).set({ status: "dead", stoppedAt: sql`now() - interval '2 days'` as unknown as Date }).where(eq(workers.id, old));
    await d.db.update(workers).set({ status: "dead", stoppedAt: sql`now() - interval '1 hour'` as unknown as Date }).where(eq(workers.id, recent));
    // A live session whose heartbeat is old (the liveness monitor's business, not the pruner's).
    await d.db.update(workers).set({ lastHeartbeatAt: sql`now() - interval '3 days'` as unknown as Date }).where(eq(workers.id, alive));
    expect(await countPrunableWorkers(d.db, 24 * HOUR)).toBe(1);
    const result = await pruner({ workers: 24 * HOUR }).runOnce();
    expect(result.workers).toBe(1);
    expect((await d.db.select({ id: workers.id }).from(workers)).map((w) => w.id).sort()).toEqual([recent, alive].sort());
    expect((await d.db.select().from(pruneTotals).where(eq(pruneTotals.tableName, "workers")))[0]?.removed).toBe(1);
  });

  test("two pruners at once remove each row once", async () => {
    const many = 60;
    const values = Array.from({ length: many }, (_, i) => ({ name: `t${i}`, command: "true", status: "completed", attempt: 1, finishedAt: sql`now() - interval '2 hours'` as unknown as Date }));
    const made = await d.db.insert(tasks).values(values).returning({ id: tasks.id });
    await d.db.insert(taskEvents).values(made.map((t) => ({ taskId: t.id, status: "completed" })));
    // A second connection on PostgreSQL, so the two really run at once (PGlite has one).
    const other = d.url ? await openDatabase({ databaseUrl: d.url, dataDir: "" }) : d;
    try {
      const a = pruner({ completed: HOUR }, 4);
      const b = new Pruner(other.db, { ...OFF, completed: HOUR }, log, { batchSize: 4, restFactor: 0 });
      const [ra, rb] = await Promise.all([a.runOnce(), b.runOnce()]);
      expect(ra.tasks + rb.tasks).toBe(many);
      expect(ra.events + rb.events).toBe(many);
      expect(await ids()).toEqual([]);
      const totals = Object.fromEntries((await d.db.select().from(pruneTotals)).map((r) => [r.tableName, r.removed]));
      expect(totals).toEqual({ tasks: many, task_events: many });
    } finally {
      if (other !== d) await other.close();
    }
  });

  test("a task retried after it finished is not pruned: it is live again", async () => {
    const t = await task("failed", 100 * HOUR);
    await retryTask(d.db, t.id);
    expect((await pruner({ failed: HOUR }).runOnce()).tasks).toBe(0);
    const [row] = await d.db.select().from(tasks).where(eq(tasks.id, t.id));
    expect(row!.status).toBe("scheduled");
    expect(await countOf(taskAttempts, [t.id])).toBe(1);
  });

  // Needs a second connection holding the lock: PostgreSQL only (PGlite has one connection).
  if (backend === "postgres") test("a task being retried right now (row locked) is skipped, not removed under the retry", async () => {
    const t = await task("failed", 100 * HOUR);
    const other = await openDatabase({ databaseUrl: d.url!, dataDir: "" });
    try {
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let locked!: () => void;
      const isLocked = new Promise<void>((r) => (locked = r));
      // The retry's transaction: lock the row, (pause while the pruner runs), then reschedule.
      const retry = other.db.transaction(async (tx) => {
        await tx.execute(sql`select id from tasks where id = ${t.id} for update`);
        locked();
        await held;
        await tx.execute(sql`update tasks set status = 'scheduled', finished_at = null where id = ${t.id}`);
      });
      await isLocked;
      const result = await pruner({ failed: HOUR }).runOnce();
      release();
      await retry;
      expect(result.tasks).toBe(0);
      const [row] = await d.db.select().from(tasks).where(eq(tasks.id, t.id));
      expect(row!.status).toBe("scheduled");
    } finally {
      await other.close();
    }
  });

  test("a schedule keeps its last run's status when the pruner removes that task", async () => {
    const t = await task("failed", 100 * HOUR);
    const [s] = await d.db
      .insert(schedules)
      .values({ name: "nightly", cron: "0 3 * * *", template: TEMPLATE, lastTaskId: t.id, lastRunAt: new Date() })
      .returning();
    expect((await getSchedule(d.db, s!.id))!.schedule).toMatchObject({ lastTaskStatus: "failed", lastTaskPruned: false });
    await pruner({ failed: HOUR }).runOnce();
    expect(await ids()).toEqual([]);
    expect((await getSchedule(d.db, s!.id))!.schedule).toMatchObject({ lastTaskId: t.id, lastTaskStatus: "failed", lastTaskPruned: true });
    // The next run's task replaces the saved status.
    await d.db.update(schedules).set({ nextRunAt: sql`now() - interval '1 second'` as unknown as Date }).where(eq(schedules.id, s!.id));
    const { ticks } = await tickDueSchedules(d.db, 10);
    expect((await getSchedule(d.db, s!.id))!.schedule).toMatchObject({ lastTaskId: ticks[0]!.taskId, lastTaskStatus: "scheduled", lastTaskPruned: false });
    const [row] = await d.db.select({ saved: schedules.lastTaskStatus }).from(schedules).where(eq(schedules.id, s!.id));
    expect(row!.saved).toBeNull();
  });

  test("retention stats: totals per table, age of the oldest kept finished task, database size", async () => {
    await task("completed", 5 * HOUR);
    await task("completed", 2 * HOUR);
    await task("failed", 3 * HOUR);
    await pruner({ completed: 4 * HOUR }).runOnce();
    const stats = await retentionStats(d.db);
    expect(stats.prunedTotal).toEqual({ tasks: 1, task_attempts: 1, task_events: 3, workers: 0 });
    expect(stats.oldestFinishedAgeSeconds.completed).toBeGreaterThan(2 * 3600 - 60);
    expect(stats.oldestFinishedAgeSeconds.completed).toBeLessThan(2 * 3600 + 60);
    expect(stats.oldestFinishedAgeSeconds.failed).toBeGreaterThan(3 * 3600 - 60);
    expect(stats.oldestFinishedAgeSeconds.cancelled).toBeNull();
    expect(stats.databaseSizeBytes).toBeGreaterThan(1_000_000);
  });

  test("with vacuum on, a pass that removed rows vacuums the tables (the embedded database's only vacuum)", async () => {
    await task("completed", 5 * HOUR);
    const p = new Pruner(d.db, { ...OFF, completed: HOUR }, log, { restFactor: 0, vacuum: true });
    expect((await p.runOnce()).vacuumed).toBe(true);
    const [r] = rows<{ n: string | number }>(await d.db.execute(sql`select count(*) as n from pg_stat_all_tables where relname = 'tasks' and (last_vacuum is not null or vacuum_count > 0)`));
    expect(Number(r!.n)).toBe(1);
    // Nothing removed: no vacuum.
    expect((await p.runOnce()).vacuumed).toBe(false);
  });

  test("start() and stop() are safe in any order; with every policy off it never runs", async () => {
    const p = pruner({ completed: HOUR });
    await p.stop();
    await p.start();
    await p.stop();
    await p.stop();
    const off = pruner({});
    expect(off.active).toBe(false);
    await off.start();
    await off.stop();
  });
});
