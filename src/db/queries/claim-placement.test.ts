/**
 * Placement on a real database (docs/placement.md): the claim matches selectors and
 * pins, a fanout parent follows its children, retries keep or drop the pin, and a
 * schedule with fanout ticks exactly once across two coordinators.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { describeEachBackend, openTestDatabase, type TestDatabase } from "../../../test/support/databases.ts";
import { insertTask, registerWorker } from "../../../test/support/factories.ts";
import { openDatabase } from "../client.ts";
import { tasks } from "../schema/index.ts";
import { claimDueTasks } from "./claim-due-tasks.ts";
import { insertTasks, type NewTask } from "./insert-tasks.ts";
import { insertSchedule } from "./insert-schedule.ts";
import { loadWaitingFacts } from "./load-waiting-facts.ts";
import { loseAttempts } from "./lose-attempts.ts";
import { recordAttemptOutcomes } from "./record-attempt-outcomes.ts";
import { tickDueSchedules } from "./tick-schedules.ts";
import { cancelTask } from "./cancel-task.ts";
import { waitingReason } from "../../core/waiting-reason.ts";
import { attemptOutcome } from "../../core/attempt.ts";

const EU = { region: "eu", disk: "ssd", hostname: "eu-1" };
const US = { region: "us", gpu: "a100", hostname: "us-1" };

const newTask = (o: Partial<NewTask> = {}): NewTask => ({
  name: "t", command: "true", env: {}, queue: "default", priority: 0, runAt: null, delayMs: 0, maxRetries: 2,
  backoffMs: 1, backoffFactor: 1, backoffMaxMs: 1, timeoutMs: null, idempotencyKey: null, ...o,
});

describeEachBackend("placement", (backend) => {
  let d: TestDatabase;
  beforeAll(async () => {
    d = await openTestDatabase(backend);
  });
  afterAll(() => d.close());
  beforeEach(async () => {
    await d.db.execute(sql`truncate tasks, task_attempts, task_events, workers, concurrency_keys, task_dependencies, schedules, schedule_ticks cascade`);
  });

  const claim = (workerId: string, workerName: string, labels: Record<string, string>, limit = 10) =>
    claimDueTasks(d.db, { workerId, workerName, queues: ["default"], limit, labels });
  const row = async (id: string) => (await d.db.select().from(tasks).where(eq(tasks.id, id)))[0]!;

  test("a selector task goes only to workers whose labels match; * needs the label; plain tasks go anywhere", async () => {
    const eu = await registerWorker(d.db, { name: "eu-1", labels: EU });
    const us = await registerWorker(d.db, { name: "us-1", labels: US });
    const [inEu, withGpu, both, plain] = (await insertTasks(d.db, [
      newTask({ name: "eu", selector: { region: "eu" } }),
      newTask({ name: "gpu", selector: { gpu: "*" } }),
      newTask({ name: "eu-ssd", selector: { region: "eu", disk: "ssd" } }),
      newTask({ name: "plain" }),
    ])).map((r) => r.task);
    const nowhere = await insertTasks(d.db, [newTask({ selector: { region: "ap" } })]);
    expect((await claim(us, "us-1", US)).map((t) => t.id).sort()).toEqual([withGpu!.id, plain!.id].sort());
    expect((await claim(eu, "eu-1", EU)).map((t) => t.id).sort()).toEqual([inEu!.id, both!.id].sort());
    expect(await claim(eu, "eu-1", EU)).toEqual([]);
    const facts = (await loadWaitingFacts(d.db, [nowhere[0]!.task.id])).get(nowhere[0]!.task.id)!;
    expect(waitingReason(facts)).toBe("no live worker serving queue default matches selector region=ap");
  });

  test("fanout all: one pinned child per worker, each claimed only by its worker; the parent follows the children", async () => {
    const a = await registerWorker(d.db, { name: "a", labels: EU });
    const b = await registerWorker(d.db, { name: "b", labels: US });
    const [made] = await insertTasks(d.db, [newTask({ name: "rotate", fanout: "all", fanoutWorkers: ["a", "b"] })]);
    const parent = made!.task;
    expect(parent).toMatchObject({ fanout: "all", blockedBy: 2, status: "scheduled" });
    const children = await d.db.select().from(tasks).where(eq(tasks.parentId, parent.id));
    expect(children.map((c) => c.pinnedWorker).sort()).toEqual(["a", "b"]);
    expect(children.map((c) => c.name).sort()).toEqual(["rotate on a", "rotate on b"]);
    // The parent itself is never claimed; each worker gets exactly its own child.
    const forA = await claim(a, "a", EU);
    expect(forA.map((t) => t.name)).toEqual(["rotate on a"]);
    expect((await row(parent.id)).status).toBe("running");
    const forB = await claim(b, "b", US);
    expect(forB.map((t) => t.name)).toEqual(["rotate on b"]);
    const done = (id: string, worker: string, exit: number) =>
      d.db.transaction((tx) => recordAttemptOutcomes(tx, [{
        taskId: id, attempt: 1, workerId: worker, exitCode: exit, stdoutTail: null, stderrTail: null, startedAt: null,
        ...attemptOutcome({ kind: "finished", exitCode: exit, error: null }, { attempt: 1, maxRetries: 0, backoffMs: 1, backoffFactor: 1, backoffMaxMs: 1 }),
      }]));
    await done(forA[0]!.id, a, 0);
    expect((await row(parent.id)).status).toBe("running");
    await done(forB[0]!.id, b, 1);
    const finished = await row(parent.id);
    expect(finished.status).toBe("failed");
    expect(finished.error).toBe("1 of 2 children did not complete");
  });

  test("a lost pinned child retries on its own worker (same) or any matching one (any)", async () => {
    const a = await registerWorker(d.db, { name: "a", labels: EU });
    const b = await registerWorker(d.db, { name: "b", labels: EU });
    const [same] = await insertTasks(d.db, [newTask({ name: "same", fanout: "all", selector: { region: "eu" }, fanoutWorkers: ["a"] })]);
    const [any] = await insertTasks(d.db, [newTask({ name: "any", fanout: "all", selector: { region: "eu" }, fanoutRetry: "any", fanoutWorkers: ["a"] })]);
    expect((await claim(a, "a", EU)).length).toBe(2);
    await d.db.execute(sql`update workers set status = 'dead', stopped_at = now() where id = ${a}`);
    await d.db.transaction((tx) => loseAttempts(tx, { workerIds: [a] }, "worker a died"));
    await d.db.execute(sql`update tasks set run_at = now() - interval '1 second' where parent_id is not null`);
    // b matches the selector: it may take the "any" child, never the "same" one.
    const onB = await claim(b, "b", EU);
    expect(onB.map((t) => t.name)).toEqual(["any on a"]);
    const sameChild = (await d.db.select().from(tasks).where(eq(tasks.parentId, same!.task.id)))[0]!;
    expect(sameChild).toMatchObject({ status: "scheduled", pinnedWorker: "a" });
    expect(waitingReason((await loadWaitingFacts(d.db, [sameChild.id])).get(sameChild.id)!)).toBe("its worker a is not live (a fanout child runs only there)");
    // Worker a comes back (a new session, same name): it takes its child.
    const a2 = await registerWorker(d.db, { name: "a", labels: EU });
    expect((await claim(a2, "a", EU)).map((t) => t.id)).toEqual([sameChild.id]);
    expect(any).toBeDefined();
  });

  test("cancelling a fanout parent cancels its children", async () => {
    await registerWorker(d.db, { name: "a" });
    const [made] = await insertTasks(d.db, [newTask({ fanout: 2, fanoutWorkers: ["a", "b"] })]);
    await cancelTask(d.db, made!.task.id);
    const children = await d.db.select().from(tasks).where(eq(tasks.parentId, made!.task.id));
    expect(children.map((c) => c.status)).toEqual(["cancelled", "cancelled"]);
    expect((await row(made!.task.id)).status).toBe("cancelled");
  });

  test("a schedule with fanout all: one parent with one child per live worker, exactly once across two coordinators", async () => {
    await registerWorker(d.db, { name: "a", labels: EU });
    await registerWorker(d.db, { name: "b", labels: US });
    await registerWorker(d.db, { name: "c", labels: { ...EU, hostname: "eu-2" } });
    const template = { command: "true", env: {}, queue: "default", priority: 0, max_retries: 0, backoff_ms: 1000, backoff_factor: 2, backoff_max_ms: 3_600_000, timeout_ms: null, fanout: "all" as const, selector: { region: "eu" } };
    const { schedule } = await insertSchedule(d.db, { name: "rotate", cron: "* * * * *", timezone: "UTC", template, paused: false, overlap: "allow", catchUp: "latest", catchUpMax: 10 });
    await d.db.execute(sql`update schedules set next_run_at = date_trunc('minute', now()) where id = ${schedule.id}`);
    const second = d.url ? await openDatabase({ databaseUrl: d.url, dataDir: "" }) : d;
    try {
      // Both coordinators tick at once, then once more each (a redo must add nothing).
      await Promise.all([tickDueSchedules(d.db, 10), tickDueSchedules(second.db, 10)]);
      await d.db.execute(sql`update schedules set next_run_at = date_trunc('minute', now()) where id = ${schedule.id}`);
      await Promise.all([tickDueSchedules(d.db, 10), tickDueSchedules(second.db, 10)]);
    } finally {
      if (second !== d) await second.close();
    }
    const made = await d.db.select().from(tasks).where(eq(tasks.scheduleId, schedule.id));
    const parents = made.filter((t) => t.parentId === null);
    expect(parents.length).toBe(1);
    expect(made.filter((t) => t.parentId === parents[0]!.id).map((t) => t.pinnedWorker).sort()).toEqual(["a", "c"]);
  });

  test("a schedule with fanout and no matching worker skips the tick, saying why", async () => {
    await registerWorker(d.db, { name: "b", labels: US });
    const template = { command: "true", env: {}, queue: "default", priority: 0, max_retries: 0, backoff_ms: 1000, backoff_factor: 2, backoff_max_ms: 3_600_000, timeout_ms: null, fanout: "all" as const, selector: { region: "eu" } };
    const { schedule } = await insertSchedule(d.db, { name: "rotate", cron: "* * * * *", timezone: "UTC", template, paused: false, overlap: "allow", catchUp: "latest", catchUpMax: 10 });
    await d.db.execute(sql`update schedules set next_run_at = date_trunc('minute', now()) where id = ${schedule.id}`);
    await tickDueSchedules(d.db, 10);
    expect(await d.db.select().from(tasks).where(eq(tasks.scheduleId, schedule.id))).toEqual([]);
    const ticks = await d.db.execute(sql`select outcome, message from schedule_ticks where schedule_id = ${schedule.id}`);
    expect(JSON.stringify(ticks)).toContain("fanout: no live worker matches the selector (queue default)");
  });

  test("plain tasks still come through tasks_due_idx with a selector backlog waiting", async () => {
    const w = await registerWorker(d.db, { name: "w", labels: EU });
    await insertTask(d.db, {});
    expect((await claim(w, "w", EU)).length).toBe(1);
  });
});
