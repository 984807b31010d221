/** The engine's queries on a real database: claim, start, results with fencing, lost workers. */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { describeEachBackend, openTestDatabase, type TestDatabase } from "../../../test/support/databases.ts";
import { insertTask, insertTasks, registerWorker } from "../../../test/support/factories.ts";
import { openDatabase } from "../client.ts";
import { taskAttempts, taskEvents, tasks, workers } from "../schema/index.ts";
import { attemptKey } from "../../core/attempt.ts";
import { recordAttemptOutcomes, type AttemptOutcomeWrite } from "./record-attempt-outcomes.ts";
import { claimDueTasks } from "./claim-due-tasks.ts";
import { markAttemptsStarted } from "./mark-attempts-started.ts";
import { markDeadWorkers } from "./mark-dead-workers.ts";
import { msUntilNextDue } from "./next-due.ts";
import { openWorkerSession } from "./open-worker-session.ts";
import { recordHeartbeat } from "./record-heartbeat.ts";
import { rows } from "../sql.ts";

const outcome = (o: Partial<AttemptOutcomeWrite> & Pick<AttemptOutcomeWrite, "taskId" | "attempt" | "workerId">): AttemptOutcomeWrite => ({
  attemptStatus: "completed",
  taskStatus: "completed",
  delayMs: 0,
  exitCode: 0,
  error: null,
  stdoutTail: "out",
  stderrTail: null,
  startedAt: null,
  message: null,
  ...o,
});

describeEachBackend("engine queries", (backend) => {
  let d: TestDatabase;
  beforeAll(async () => {
    d = await openTestDatabase(backend);
  });
  afterAll(() => d.close());
  beforeEach(async () => {
    await d.db.execute(sql`truncate tasks, task_attempts, task_events, workers cascade`);
  });

  test("claim takes due tasks by priority then run_at, only its queues, never future ones, up to the limit", async () => {
    const w = await registerWorker(d.db);
    const low = await insertTask(d.db, { priority: 0, runAt: new Date(Date.now() - 5000) });
    const high = await insertTask(d.db, { priority: 10, runAt: new Date(Date.now() - 1000) });
    const older = await insertTask(d.db, { priority: 0, runAt: new Date(Date.now() - 9000) });
    await insertTask(d.db, { runAt: new Date(Date.now() + 60_000) });
    await insertTask(d.db, { queue: "other" });
    const claimed = await claimDueTasks(d.db, { workerId: w, workerName: "w", queues: ["default"], limit: 2 });
    expect(claimed.map((c) => c.id)).toEqual([high.id, older.id]);
    expect(claimed.every((c) => c.attempt === 1)).toBe(true);
    const rest = await claimDueTasks(d.db, { workerId: w, workerName: "w", queues: ["default"], limit: 10 });
    expect(rest.map((c) => c.id)).toEqual([low.id]);
    const [row] = await d.db.select().from(tasks).where(eq(tasks.id, high.id));
    expect(row!.status).toBe("picked");
    expect(row!.workerId).toBe(w);
    const events = await d.db.select().from(taskEvents).where(eq(taskEvents.taskId, high.id));
    expect(events.map((e) => e.status)).toEqual(["picked"]);
    const attempts = await d.db.select().from(taskAttempts).where(eq(taskAttempts.taskId, high.id));
    expect(attempts).toMatchObject([{ attempt: 1, status: "picked", workerId: w }]);
  });

  test("claim across queues and priority levels: one order by priority then run_at; future tasks at any level wait", async () => {
    const w = await registerWorker(d.db, { queues: ["mail", "jobs"] });
    const ago = (ms: number) => new Date(Date.now() - ms);
    await insertTask(d.db, { queue: "mail", priority: 50, runAt: new Date(Date.now() + 60_000) });
    const mailLow = await insertTask(d.db, { queue: "mail", priority: -5, runAt: ago(9000) });
    const jobsTop = await insertTask(d.db, { queue: "jobs", priority: 20, runAt: ago(1000) });
    const mailMid = await insertTask(d.db, { queue: "mail", priority: 3, runAt: ago(2000) });
    const jobsMidOlder = await insertTask(d.db, { queue: "jobs", priority: 3, runAt: ago(3000) });
    await insertTasks(d.db, 5, { queue: "jobs", priority: 0, runAt: new Date(Date.now() + 60_000) });
    const jobsZero = await insertTask(d.db, { queue: "jobs", priority: 0, runAt: ago(500) });
    const claim = (limit: number) => claimDueTasks(d.db, { workerId: w, workerName: "w", queues: ["mail", "jobs"], limit });
    expect((await claim(3)).map((c) => c.id)).toEqual([jobsTop.id, jobsMidOlder.id, mailMid.id]);
    expect((await claim(10)).map((c) => c.id)).toEqual([jobsZero.id, mailLow.id]);
    expect(await claim(10)).toEqual([]);
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

  test("the fence: a result for an attempt that is not current is refused here (another session, a duplicate)", async () => {
    const w1 = await registerWorker(d.db);
    const w2 = await registerWorker(d.db);
    const t = await insertTask(d.db, { maxRetries: 1 });
    const [c] = await claimDueTasks(d.db, { workerId: w1, workerName: "w1", queues: ["default"], limit: 1 });
    expect((await markAttemptsStarted(d.db, [{ taskId: t.id, attempt: 1, workerId: w1 }])).size).toBe(1);
    // A result from another session for the same attempt is refused.
    expect((await recordAttemptOutcomes(d.db, [outcome({ taskId: t.id, attempt: 1, workerId: w2 })])).size).toBe(0);
    // A failure with a retry left reschedules with the delay.
    const applied = await recordAttemptOutcomes(d.db, [
      outcome({ taskId: c!.id, attempt: 1, workerId: w1, attemptStatus: "failed", taskStatus: "scheduled", delayMs: 60_000, exitCode: 1, error: "exit code 1" }),
    ]);
    expect([...applied]).toEqual([attemptKey(t.id, 1)]);
    const [row] = await d.db.select().from(tasks).where(eq(tasks.id, t.id));
    expect(row!.status).toBe("scheduled");
    expect(row!.runAt.getTime() - Date.now()).toBeGreaterThan(50_000);
    // The same result again (a duplicate) is refused.
    expect((await recordAttemptOutcomes(d.db, [outcome({ taskId: t.id, attempt: 1, workerId: w1 })])).size).toBe(0);
    const [again] = await d.db.select().from(tasks).where(eq(tasks.id, t.id));
    expect(again!.status).toBe("scheduled");
    const events = (await d.db.select().from(taskEvents).where(eq(taskEvents.taskId, t.id)).orderBy(taskEvents.id)).map((e) => e.status);
    expect(events).toEqual(["picked", "running", "scheduled"]);
  });

  test("a worker silent past the timeout is declared dead and its attempts are lost and retried", async () => {
    const w = await registerWorker(d.db);
    const retry = await insertTask(d.db, { maxRetries: 2, backoffMs: 1 });
    const last = await insertTask(d.db, { maxRetries: 0 });
    await claimDueTasks(d.db, { workerId: w, workerName: "w", queues: ["default"], limit: 10 });
    expect(await markDeadWorkers(d.db, 60_000)).toEqual([]);
    await d.db.update(workers).set({ lastHeartbeatAt: new Date(Date.now() - 120_000) }).where(eq(workers.id, w));
    const dead = await markDeadWorkers(d.db, 60_000);
    expect(dead).toMatchObject([{ id: w, lostAttempts: 2 }]);
    const rows = await d.db.select().from(tasks);
    expect(rows.find((r) => r.id === retry.id)!.status).toBe("scheduled");
    expect(rows.find((r) => r.id === last.id)!.status).toBe("failed");
    expect(rows.find((r) => r.id === last.id)!.error).toContain("was lost");
    const att = await d.db.select().from(taskAttempts);
    expect(att.every((a) => a.status === "lost")).toBe(true);
    // A dead session's heartbeats are refused, and it cannot be resumed.
    expect(await recordHeartbeat(d.db, w, 0, false)).toBe(false);
    const again = await openWorkerSession(d.db, { name: "w", host: "h", pid: 1, queues: ["default"], concurrency: 1, version: "t", draining: false, coordinator: "c" }, w);
    expect(again.resumed).toBe(false);
    expect(again.id).not.toBe(w);
  });

  test("claim race: two coordinators x 8 claimers claim each task exactly once, none before its run_at", async () => {
    // Two independent clients, like two coordinator processes (PGlite has only one connection).
    const second = d.url ? await openDatabase({ databaseUrl: d.url, dataDir: "" }) : d;
    const due = 1500;
    const soon = 500;
    await insertTasks(d.db, due);
    await insertTasks(d.db, soon, { runAt: sql`now() + interval '400 milliseconds'` as unknown as Date });
    await insertTasks(d.db, 100, { runAt: new Date(Date.now() + 3_600_000) });
    const ws = await Promise.all(Array.from({ length: 16 }, () => registerWorker(d.db)));
    const seen = new Map<string, number>();
    const deadline = Date.now() + 20_000;
    await Promise.all(
      ws.map(async (w, i) => {
        const db = i % 2 === 0 ? d.db : second.db;
        while (seen.size < due + soon && Date.now() < deadline) {
          const got = await claimDueTasks(db, { workerId: w, workerName: w, queues: ["default"], limit: 7 });
          for (const g of got) seen.set(g.id, (seen.get(g.id) ?? 0) + 1);
          if (got.length === 0) await Bun.sleep(5);
        }
      }),
    );
    if (second !== d) await second.close();
    expect(seen.size).toBe(due + soon);
    expect([...seen.values()].every((v) => v === 1)).toBe(true);
    const early = await d.db.execute(sql`select count(*)::int as n from task_attempts a join tasks t on t.id = a.task_id where a.picked_at < t.run_at`);
    expect(rows<{ n: number }>(early)[0]!.n).toBe(0);
    const attempts = await d.db.execute(sql`select count(*)::int as n from task_attempts`);
    expect(rows<{ n: number }>(attempts)[0]!.n).toBe(due + soon);
  });
});
