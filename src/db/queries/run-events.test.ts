/**
 * The run path's picked and running events read from the attempt rows (run-events.ts) show the
 * same timeline, change feed and prune counts as when they were task_events rows.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { describeEachBackend, openTestDatabase, type TestDatabase } from "../../../test/support/databases.ts";
import { insertTask, insertTasks, registerWorker } from "../../../test/support/factories.ts";
import { waitFor } from "../../../test/support/processes.ts";
import { eventJson } from "../../scheduler/tasks/task-json.ts";
import { OUTPUT_CHANNEL, parsePayload, RAN_TASKS_PER_NOTICE, TASK_CHANNEL, taskChangesOf, type TaskChange, type TaskNotice } from "../channels.ts";
import { schedules, taskAttempts, taskEvents, tasks, type TaskRow } from "../schema/index.ts";
import { cancelTask } from "./cancel-task.ts";
import { claimDueTasks } from "./claim-due-tasks.ts";
import { countPrunableTasks } from "./count-prunable.ts";
import { getTask } from "./get-task.ts";
import { markAttemptsStarted } from "./mark-attempts-started.ts";
import { pruneFinishedTasks } from "./prune-finished-tasks.ts";
import { recordAttemptOutcomes, type AttemptOutcomeWrite } from "./record-attempt-outcomes.ts";
import { retryTask } from "./retry-task.ts";

const outcome = (o: Partial<AttemptOutcomeWrite> & Pick<AttemptOutcomeWrite, "taskId" | "attempt" | "workerId">): AttemptOutcomeWrite => ({
  attemptStatus: "completed", taskStatus: "completed", delayMs: 0, exitCode: 0, error: null, stdoutTail: null, stderrTail: null,
  startedAt: null, message: null, ...o,
});

describeEachBackend("an attempt's picked and running events, read from its row", (backend) => {
  let d: TestDatabase;
  let w: string;
  beforeAll(async () => {
    d = await openTestDatabase(backend);
  });
  afterAll(() => d.close());
  beforeEach(async () => {
    await d.db.execute(sql`truncate tasks, task_attempts, task_events, workers cascade`);
    w = await registerWorker(d.db, { name: "w1" });
  });

  /** Claims task `id` (alone in its queue); `stored`: as the claim stored it before derived events (a picked row, derived_events 0). */
  async function claim(id: string, queue: string, stored: boolean) {
    const [c] = await claimDueTasks(d.db, { workerId: w, workerName: "w1", queues: [queue], limit: 1 });
    expect(c!.id).toBe(id);
    if (stored) {
      await d.db.transaction(async (tx) => {
        await tx.update(taskAttempts).set({ derivedEvents: 0 }).where(eq(taskAttempts.taskId, id));
        await tx.execute(sql`insert into task_events (task_id, attempt, status, worker, at)
          select task_id, attempt, 'picked', worker, picked_at from task_attempts where task_id = ${id} and attempt = ${c!.attempt}`);
      });
    }
    return { taskId: id, attempt: c!.attempt, workerId: w };
  }

  /** One history, run on a task stored the old way or the new: fail and retry, start and cancel, a late start, a retry by hand, success. */
  async function runHistory(stored: boolean): Promise<string> {
    const queue = stored ? "old" : "new";
    const t = await insertTask(d.db, { queue, runAt: new Date(Date.now() - 1000) });
    let ref = await claim(t.id, queue, stored);
    await markAttemptsStarted(d.db, [ref]);
    await recordAttemptOutcomes(d.db, [outcome({ ...ref, attemptStatus: "failed", taskStatus: "scheduled", exitCode: 1, error: "exit code 1", message: "retry in 0 ms" })]);
    ref = await claim(t.id, queue, stored);
    await cancelTask(d.db, t.id, "cancelled by test");
    await markAttemptsStarted(d.db, [ref]); // late: the task is cancelled, no running event
    await recordAttemptOutcomes(d.db, [outcome({ ...ref, attemptStatus: "failed", exitCode: 143 })]);
    await retryTask(d.db, t.id, "test");
    ref = await claim(t.id, queue, stored);
    await markAttemptsStarted(d.db, [ref]);
    await recordAttemptOutcomes(d.db, [outcome(ref)]);
    return t.id;
  }

  const timeline = async (id: string) => (await getTask(d.db, id))!.events.map((e) => ({ ...eventJson(e), at: e.at.getTime() }));

  test("the timeline is the same as with stored events, at the same times, through retries, a cancel and a retry by hand", async () => {
    const old = await runHistory(true);
    const fresh = await runHistory(false);
    const [a, b] = [await timeline(old), await timeline(fresh)];
    expect(b.map(({ at, ...e }) => e)).toEqual(a.map(({ at, ...e }) => e));
    expect(b.map((e) => `${e.status}@${e.attempt}`)).toEqual([
      "picked@1", "running@1", "scheduled@1", "picked@2", "cancelled@2", "scheduled@2", "picked@3", "running@3", "completed@3",
    ]);
    // Each derived event at the time the old storage gave it: the claim's picked_at, the start's started_at.
    const attempts = (await getTask(d.db, fresh))!.attempts;
    expect(b.filter((e) => e.status === "picked").map((e) => e.at)).toEqual(attempts.map((x) => x.pickedAt.getTime()));
    expect(b.filter((e) => e.status === "running").map((e) => e.at)).toEqual([attempts[0]!.startedAt!.getTime(), attempts[2]!.startedAt!.getTime()]);
    // Only the stored kinds are rows; the old task keeps all of its rows.
    const rowsOf = async (id: string) => (await d.db.select().from(taskEvents).where(eq(taskEvents.taskId, id))).map((e) => e.status);
    expect(await rowsOf(fresh)).toEqual(["scheduled", "cancelled", "scheduled", "completed"]);
    expect((await rowsOf(old)).length).toBe(a.length);
  });

  test("the change feed hears each picked and running, with queue, schedule-ness and the start's lag, as the trigger sent them", async () => {
    const [schedule] = await d.db.insert(schedules).values({ name: "s", cron: "* * * * *", template: {} }).returning();
    const runAt = new Date(Date.now() - 2000);
    const made: TaskRow[] = [];
    // Queue a past one notice's tasks, then b.
    for (let i = 0; i < RAN_TASKS_PER_NOTICE + 10; i++) made.push(await insertTask(d.db, { queue: i < RAN_TASKS_PER_NOTICE + 5 ? "a" : "b", runAt, priority: -i, scheduleId: i === 3 ? schedule!.id : null }));
    const heard: string[] = [];
    const stop = await d.listen(TASK_CHANNEL, (p) => heard.push(p));
    try {
      const claimed = await claimDueTasks(d.db, { workerId: w, workerName: "w1", queues: ["a", "b"], limit: made.length });
      expect(claimed.map((c) => c.id)).toEqual(made.map((t) => t.id));
      const refs = claimed.map((c) => ({ taskId: c.id, attempt: c.attempt, workerId: w }));
      await markAttemptsStarted(d.db, refs);
      const changes = () => taskChangesOf(heard.flatMap((p) => parsePayload<TaskNotice>(p)));
      await waitFor("picked and running of every task", () => changes().length >= 2 * made.length);
      const byStatus = (s: string) => changes().filter((c) => c.status === s).sort((x, y) => x.id.localeCompare(y.id));
      const expected = (status: string): TaskChange[] =>
        made.map((t, i) => ({ id: t.id, status, attempt: 1, queue: t.queue, ...(i === 3 ? { schedule: true } : {}) })).sort((x, y) => x.id.localeCompare(y.id));
      expect(byStatus("picked")).toEqual(expected("picked"));
      const rows = await d.db.select().from(tasks);
      const lagOf = new Map(rows.map((r) => [r.id, (r.startedAt!.getTime() - r.runAt.getTime()) / 1000]));
      const running = byStatus("running");
      expect(running.map(({ lag, ...c }) => c)).toEqual(expected("running"));
      for (const c of running) expect(Math.abs(c.lag! - lagOf.get(c.id)!)).toBeLessThan(0.001);
      // Within a queue, the claim's order; one notice per 80 tasks of a queue.
      expect(changes().filter((c) => c.status === "picked" && c.queue === "a").map((c) => c.id)).toEqual(made.filter((t) => t.queue === "a").map((t) => t.id));
      expect(heard.length).toBe(6);
      expect(Math.max(...heard.map((p) => p.length))).toBeLessThan(8000);
    } finally {
      await stop();
    }
  });

  test("a start report for a task cancelled meanwhile publishes nothing and derives no running event", async () => {
    const t = await insertTask(d.db, { runAt: new Date(Date.now() - 1000) });
    const ref = await claim(t.id, "default", false);
    await cancelTask(d.db, t.id);
    const heard: string[] = [];
    const stop = await d.listen(TASK_CHANNEL, (p) => heard.push(p));
    try {
      expect((await markAttemptsStarted(d.db, [ref])).size).toBe(0);
      const [a] = await d.db.select().from(taskAttempts).where(eq(taskAttempts.taskId, t.id));
      expect([a!.status, a!.derivedEvents]).toEqual(["cancelled", 1]);
      // Sent after the start's statement, so heard after anything it published.
      await d.db.execute(sql`select pg_notify(${TASK_CHANNEL}, '[]')`);
      await waitFor("the marker", () => heard.length > 0);
      expect(heard).toEqual(["[]"]);
    } finally {
      await stop();
    }
  });

  test("a start folded into its result records running (database clock, the worker's run time), then the outcome, in either storage", async () => {
    const runAt = new Date(Date.now() - 3000);
    // A worker whose clock is a day behind: its stamp is kept as spawned_at, and decides no status time.
    const spawnedAtUs = (Date.now() - 86_400_000) * 1000 + 123;
    const heard: string[] = [];
    const stop = await d.listen(TASK_CHANNEL, (p) => heard.push(p));
    try {
      const ids: string[] = [];
      for (const stored of [true, false]) {
        const queue = stored ? "old" : "new";
        const t = await insertTask(d.db, { queue, runAt });
        const ref = await claim(t.id, queue, stored);
        // A failed attempt sent back for a retry: the start's lag is from the run_at before the retry moved it.
        const applied = await recordAttemptOutcomes(d.db, [outcome({ ...ref, attemptStatus: "failed", taskStatus: "scheduled", delayMs: 60_000, exitCode: 1, message: "retry", runMs: 0, foldedStart: { spawnedAtUs } })]);
        expect(applied.size).toBe(1);
        const detail = (await getTask(d.db, t.id))!;
        const a = detail.attempts[0]!;
        expect([detail.task.startedAt!.getTime(), a.startedAt!.getTime()]).toEqual([a.finishedAt!.getTime(), a.finishedAt!.getTime()]);
        expect(a.spawnedAt!.getTime()).toBe(Math.floor(spawnedAtUs / 1000));
        ids.push(t.id);
      }
      const [a, b] = [await timeline(ids[0]!), await timeline(ids[1]!)];
      expect(b.map(({ at, ...e }) => e)).toEqual(a.map(({ at, ...e }) => e));
      expect(b.map((e) => e.status)).toEqual(["picked", "running", "scheduled"]);
      expect([a[1]!.at, b[1]!.at]).toEqual([a[2]!.at, b[2]!.at]);
      expect((await d.db.select().from(taskEvents).where(eq(taskEvents.taskId, ids[1]!))).map((e) => e.status)).toEqual(["scheduled"]);
      // The new storage's feed: running (with the start's lag) before the outcome.
      const changes = () => taskChangesOf(heard.flatMap((p) => parsePayload<TaskNotice>(p))).filter((c) => c.id === ids[1]);
      await waitFor("running and the retry", () => changes().length >= 3);
      expect(changes().map((c) => c.status)).toEqual(["picked", "running", "scheduled"]);
      expect(Math.abs(changes()[1]!.lag! - (b[1]!.at - runAt.getTime()) / 1000)).toBeLessThan(0.002);
      // A folded start of an attempt already gone (refused) writes nothing.
      const again = await recordAttemptOutcomes(d.db, [outcome({ taskId: ids[1]!, attempt: 1, workerId: w, foldedStart: { spawnedAtUs } })]);
      expect(again.size).toBe(0);
      expect(await timeline(ids[1]!)).toEqual(b);
    } finally {
      await stop();
    }
  });

  test("a folded start is the result's time less the worker's run time, never before the pick", async () => {
    for (const runMs of [250, 3_600_000]) {
      const t = await insertTask(d.db, { runAt: new Date(Date.now() - 1000) });
      const ref = await claim(t.id, "default", false);
      await d.db.execute(sql`update task_attempts set picked_at = picked_at - interval '1 second' where task_id = ${t.id}`);
      await recordAttemptOutcomes(d.db, [outcome({ ...ref, runMs, foldedStart: { spawnedAtUs: null } })]);
      const [a] = await d.db.select().from(taskAttempts).where(eq(taskAttempts.taskId, t.id));
      expect(a!.startedAt!.getTime()).toBe(runMs === 250 ? a!.finishedAt!.getTime() - 250 : a!.pickedAt.getTime());
      expect(a!.spawnedAt).toBeNull();
      expect((await timeline(t.id)).map((e) => e.status)).toEqual(["picked", "running", "completed"]);
    }
  });

  test("pruning counts the events an attempt holds in its row, as if they were stored", async () => {
    const fresh = await runHistory(false);
    const old = await runHistory(true);
    await d.db.update(tasks).set({ finishedAt: new Date(Date.now() - 60_000) });
    const prunable = await countPrunableTasks(d.db, "completed", 1000);
    expect(prunable).toEqual({ tasks: 2, attempts: 6, events: 18 });
    expect(await pruneFinishedTasks(d.db, { status: "completed", olderThanMs: 1000, limit: 100 })).toEqual(prunable);
    expect(await getTask(d.db, fresh)).toBeNull();
    expect(await getTask(d.db, old)).toBeNull();
  });

  test("a fleet-sized batch: hundreds of starts and results in one statement each, some folded, some refused, each attempt right", async () => {
    // Three claims of 100: started before the result (A), folded into it (B), folded but cancelled meanwhile (C, refused).
    await insertTasks(d.db, 300, { runAt: new Date(Date.now() - 1000) });
    const refs = [];
    for (let i = 0; i < 3; i++) refs.push(...(await claimDueTasks(d.db, { workerId: w, workerName: "w1", queues: ["default"], limit: 100 })));
    const ref = (c: { id: string; attempt: number }) => ({ taskId: c.id, attempt: c.attempt, workerId: w });
    const [started, folded, refused] = [refs.slice(0, 100), refs.slice(100, 200), refs.slice(200)];
    // A start batch that also names attempts about to be refused: only the first 100 move.
    for (const c of refused) await cancelTask(d.db, c.id);
    expect((await markAttemptsStarted(d.db, [...started, ...refused].map(ref))).size).toBe(100);
    const heard: string[] = [];
    const stop = await d.listen(OUTPUT_CHANNEL, (p) => heard.push(p));
    try {
      const applied = await recordAttemptOutcomes(d.db, [
        ...started.map((c) => outcome(ref(c))),
        ...[...folded, ...refused].map((c) => outcome({ ...ref(c), runMs: 5, foldedStart: { spawnedAtUs: Date.now() * 1000 } })),
      ]);
      expect(applied.size).toBe(200);
      expect(refused.some((c) => applied.has(`${c.id}:${c.attempt}`))).toBe(false);
      const derived = new Map((await d.db.select().from(taskAttempts)).map((a) => [a.taskId, [a.status, a.derivedEvents]]));
      for (const c of [...started, ...folded]) expect(derived.get(c.id)).toEqual(["completed", 2]);
      for (const c of refused) expect(derived.get(c.id)).toEqual(["cancelled", 1]);
      expect((await timeline(started[0]!.id)).map((e) => e.status)).toEqual(["picked", "running", "completed"]);
      expect((await timeline(folded[99]!.id)).map((e) => e.status)).toEqual(["picked", "running", "completed"]);
      expect((await timeline(refused[0]!.id)).map((e) => e.status)).toEqual(["picked", "cancelled"]);
      // Every attempt that ended, refused or not, tells its log's followers once, in few notices.
      const ends = () => heard.flatMap((p) => parsePayload<string>(p));
      await waitFor("300 attempt ends", () => ends().length >= 300);
      expect(ends().sort()).toEqual(refs.map((c) => `${c.id}:${c.attempt}:end`).sort());
      expect(heard.length).toBeLessThanOrEqual(3);
      expect(heard.every((p) => Buffer.byteLength(p) < 8000)).toBe(true);
    } finally {
      await stop();
    }
  });
});
