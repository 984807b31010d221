/**
 * The state machine is the rule, the SQL follows it: every query that writes a
 * task's status runs against one task in each status, and every move it makes
 * (and every timeline row it appends) must be one core/task-status.ts allows.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { attemptOutcome } from "../../core/attempt.ts";
import { canTransition, isTaskStatus, TASK_STATUSES, type TaskStatus } from "../../core/task-status.ts";
import { describeEachBackend, openTestDatabase, type TestDatabase } from "../../../test/support/databases.ts";
import { insertCoordinator, insertTask, registerWorker } from "../../../test/support/factories.ts";
import { taskAttempts, taskEvents, tasks } from "../schema/index.ts";
import { cancelTask } from "./cancel-task.ts";
import { claimDueTasks } from "./claim-due-tasks.ts";
import { insertTasks, type NewTask } from "./insert-tasks.ts";
import { loseAttempts } from "./lose-attempts.ts";
import { markAttemptsStarted } from "./mark-attempts-started.ts";
import { markDeadWorkers } from "./mark-dead-workers.ts";
import { recordAttemptOutcomes, type AttemptOutcomeWrite } from "./record-attempt-outcomes.ts";
import { retryTask } from "./retry-task.ts";
import { cancelTasks } from "./cancel-tasks.ts";
import { retryTasks } from "./retry-tasks.ts";

const newTask: NewTask = { name: "n", command: "true", env: {}, queue: "default", priority: 0, runAt: null, delayMs: 0, maxRetries: 3, backoffMs: 1000, backoffFactor: 2, backoffMaxMs: 60_000, timeoutMs: null, idempotencyKey: null };
const task = { attempt: 1, maxRetries: 3, backoffMs: 1000, backoffFactor: 2, backoffMaxMs: 60_000 };

describeEachBackend("every status-writing query follows the state machine", (backend) => {
  let d: TestDatabase;
  let w: string;
  /** One task per status, all on attempt 1 of worker session w. */
  let byStatus: Map<TaskStatus, string>;

  beforeAll(async () => {
    d = await openTestDatabase(backend);
  });
  afterAll(() => d.close());
  beforeEach(async () => {
    await d.db.execute(sql`truncate tasks, task_attempts, task_events, workers, task_dependencies, concurrency_keys cascade`);
    w = await registerWorker(d.db, { name: "w" });
    byStatus = new Map();
    for (const status of TASK_STATUSES) {
      const t = await insertTask(d.db, { status, attempt: 1, workerId: w, worker: "w", runAt: new Date(Date.now() - 1000) });
      if (status === "picked" || status === "running") await d.db.insert(taskAttempts).values({ taskId: t.id, attempt: 1, workerId: w, worker: "w", status });
      byStatus.set(status, t.id);
    }
  });

  const ids = () => [...byStatus.values()];
  const refs = () => ids().map((taskId) => ({ taskId, attempt: 1, workerId: w }));

  /** Runs `write` and checks every status move and every appended timeline row against the allowed transitions. */
  async function checkMoves(write: () => Promise<unknown>): Promise<string[]> {
    const before = await statuses();
    const lastEvent = await lastEventIds();
    await write();
    const after = await statuses();
    const moves: string[] = [];
    for (const [id, to] of after) {
      const from = before.get(id);
      if (from === to) continue;
      moves.push(`${from ?? "new"} → ${to}`);
      if (from) expect({ id, from, to, allowed: canTransition(from, to) }).toEqual({ id, from, to, allowed: true });
    }
    // The timeline too: each new event continues from the status before it.
    const events = await d.db.select().from(taskEvents).where(sql`${taskEvents.id} > ${lastEvent}`).orderBy(taskEvents.id);
    const last = new Map(before);
    for (const e of events) {
      if (!isTaskStatus(e.status)) continue;
      const from = last.get(e.taskId);
      if (from) expect({ from, to: e.status, allowed: canTransition(from, e.status) }).toEqual({ from, to: e.status, allowed: true });
      last.set(e.taskId, e.status);
    }
    return moves;
  }

  async function statuses(): Promise<Map<string, TaskStatus>> {
    const found = await d.db.select({ id: tasks.id, status: tasks.status }).from(tasks);
    return new Map(found.map((r) => [r.id, r.status as TaskStatus]));
  }

  async function lastEventIds(): Promise<number> {
    const [r] = await d.db.select({ max: sql<number>`coalesce(max(${taskEvents.id}), 0)` }).from(taskEvents);
    return Number(r!.max);
  }

  test("insertTasks: a new task is created, then scheduled", async () => {
    const moves = await checkMoves(() => insertTasks(d.db, [newTask]));
    expect(moves).toEqual(["new → scheduled"]);
  });

  test("claimDueTasks: scheduled → picked only", async () => {
    expect(await checkMoves(() => claimDueTasks(d.db, { workerId: w, workerName: "w", queues: ["default"], limit: 100 }))).toEqual(["scheduled → picked"]);
  });

  test("markAttemptsStarted: picked → running only", async () => {
    expect(await checkMoves(() => markAttemptsStarted(d.db, refs()))).toEqual(["picked → running"]);
  });

  test("markAttemptsStarted keeps the worker's spawn stamp, to the microsecond, on the attempt it moved", async () => {
    const spawnedAtUs = 1_796_000_000_123_456;
    await markAttemptsStarted(d.db, refs().map((r) => ({ ...r, spawnedAtUs })));
    const rows = await d.db.select({ spawned: sql<string | null>`(extract(epoch from ${taskAttempts.spawnedAt}) * 1000000)::bigint::text` }).from(taskAttempts);
    // The picked attempt moved and is stamped; the one already running was not moved, so not stamped.
    expect(rows.map((r) => r.spawned).sort()).toEqual([String(spawnedAtUs), null]);
  });

  for (const end of [
    { kind: "finished", exitCode: 0, error: null },
    { kind: "finished", exitCode: 1, error: null },
    { kind: "lost", reason: "worker lost" },
  ] as const) {
    for (const attempt of [1, 4]) {
      const outcome = attemptOutcome(end, { ...task, attempt });
      test(`recordAttemptOutcomes (attempt ${attempt} ${outcome.attemptStatus} → task ${outcome.taskStatus}): only live tasks move`, async () => {
        const writes: AttemptOutcomeWrite[] = refs().map((r) => ({ ...r, ...outcome, exitCode: null, stdoutTail: null, stderrTail: null, startedAt: null }));
        const moves = await checkMoves(() => recordAttemptOutcomes(d.db, writes));
        expect(moves.sort()).toEqual([`picked → ${outcome.taskStatus}`, `running → ${outcome.taskStatus}`]);
      });
    }
  }

  test("loseAttempts: live tasks retry", async () => {
    expect((await checkMoves(() => d.db.transaction((tx) => loseAttempts(tx, { workerIds: [w] }, "lost")))).sort()).toEqual(["picked → scheduled", "running → scheduled"]);
  });

  test("markDeadWorkers: a silent worker's live tasks retry", async () => {
    await d.db.execute(sql`update workers set last_heartbeat_at = now() - interval '1 hour'`);
    const coordinatorId = await insertCoordinator(d.db, { recordingForMs: 3_600_000 });
    await d.db.execute(sql`update workers set coordinator_id = ${coordinatorId}`);
    const judge = { coordinatorId, timeoutMs: 1000, goneMs: 15_000, freshMs: 5000 };
    expect((await checkMoves(() => markDeadWorkers(d.db, judge))).sort()).toEqual(["picked → scheduled", "running → scheduled"]);
  });

  test("cancelTask: every unfinished task is cancelled; finished ones are refused", async () => {
    const moves = await checkMoves(async () => {
      for (const id of ids()) await cancelTask(d.db, id).catch(() => null);
    });
    expect(moves.sort()).toEqual(["created → cancelled", "picked → cancelled", "running → cancelled", "scheduled → cancelled"]);
  });

  test("cancelTasks (bulk): every unfinished task of the batch is cancelled, the rest left alone", async () => {
    const moves = await checkMoves(() => cancelTasks(d.db, ids(), "bulk"));
    expect(moves.sort()).toEqual(["created → cancelled", "picked → cancelled", "running → cancelled", "scheduled → cancelled"]);
  });

  test("retryTasks (bulk): failed and cancelled tasks of the batch are scheduled again", async () => {
    const moves = await checkMoves(() => retryTasks(d.db, ids(), "bulk"));
    expect(moves.sort()).toEqual(["cancelled → scheduled", "failed → scheduled"]);
  });

  test("the run-after trigger (drizzle/0004): a failed dependency cancels only dependents that have not started", async () => {
    const parent = await insertTask(d.db, { status: "running", attempt: 1, workerId: w, worker: "w", hasDependents: true });
    await d.db.execute(sql`update tasks set blocked_by = 1 where id <> ${parent.id}`);
    await d.db.execute(sql`insert into task_dependencies (task_id, depends_on) select id, ${parent.id} from tasks where id <> ${parent.id}`);
    const moves = await checkMoves(() => d.db.execute(sql`update tasks set status = 'failed', finished_at = now() where id = ${parent.id}`));
    expect(moves.sort()).toEqual(["created → cancelled", "running → failed", "scheduled → cancelled"]);
  });

  test("retryTask: failed and cancelled tasks are scheduled again; others are refused", async () => {
    const moves = await checkMoves(async () => {
      for (const id of ids()) await retryTask(d.db, id).catch(() => null);
    });
    expect(moves.sort()).toEqual(["cancelled → scheduled", "failed → scheduled"]);
  });
});
