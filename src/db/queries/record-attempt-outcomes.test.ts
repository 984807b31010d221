/** The fence: a result for an attempt that is not current is refused here. */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { attemptKey } from "../../core/attempt.ts";
import { describeEachBackend, openTestDatabase, type TestDatabase } from "../../../test/support/databases.ts";
import { insertTask, registerWorker } from "../../../test/support/factories.ts";
import { tasks } from "../schema/index.ts";
import { claimDueTasks } from "./claim-due-tasks.ts";
import { getTask } from "./get-task.ts";
import { markAttemptsStarted } from "./mark-attempts-started.ts";
import { recordAttemptOutcomes, type AttemptOutcomeWrite } from "./record-attempt-outcomes.ts";

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

describeEachBackend("recordAttemptOutcomes", (backend) => {
  let d: TestDatabase;
  beforeAll(async () => {
    d = await openTestDatabase(backend);
  });
  afterAll(() => d.close());
  beforeEach(async () => {
    await d.db.execute(sql`truncate tasks, task_attempts, task_events, workers cascade`);
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
    const events = (await getTask(d.db, t.id))!.events.map((e) => e.status);
    expect(events).toEqual(["picked", "running", "scheduled"]);
  });
});
