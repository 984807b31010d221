/**
 * The outbox triggers on a real database: which task and worker changes write which
 * webhook deliveries, through the engine's own write paths (claim, start, outcome,
 * cancel, retry, dead workers), with the webhooks' filters applied in SQL.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { describeEachBackend, openTestDatabase, type TestDatabase } from "../../../test/support/databases.ts";
import { insertTask, registerWorker } from "../../../test/support/factories.ts";
import type { WebhookEvent } from "../../core/webhook-events.ts";
import { rows } from "../sql.ts";
import type { NewTaskRow } from "../schema/index.ts";
import { recordAttemptOutcomes as applyAttemptOutcomes } from "./record-attempt-outcomes.ts";
import { cancelTask } from "./cancel-task.ts";
import { claimDueTasks } from "./claim-due-tasks.ts";
import { insertWebhook, type NewWebhook } from "./insert-webhook.ts";
import { markAttemptsStarted } from "./mark-attempts-started.ts";
import { retryTask } from "./retry-task.ts";
import { markWorkerLeft } from "./mark-worker-left.ts";

const ALL: WebhookEvent[] = ["task.failed", "task.retrying", "task.completed", "task.cancelled", "task.lost", "schedule.failed", "schedule.recovered", "worker.dead"];

describeEachBackend("webhook outbox triggers", (backend) => {
  let d: TestDatabase;
  beforeAll(async () => {
    d = await openTestDatabase(backend);
  });
  afterAll(() => d.close());
  beforeEach(async () => {
    await d.db.execute(sql`truncate tasks, task_attempts, task_events, workers, webhooks, webhook_deliveries cascade`);
  });

  const hook = (o: Partial<NewWebhook> = {}) =>
    insertWebhook(d.db, { url: "http://93.184.215.14/hook", events: ALL, queue: null, namePrefix: null, scheduleId: null, secret: null, format: "json", enabled: true, ...o });

  const deliveries = async () =>
    rows<{ webhook_id: string; event: string; payload: any }>(await d.db.execute(sql`select webhook_id, event, payload from webhook_deliveries order by created_at, event`)).map(
      (r) => ({ ...r, payload: typeof r.payload === "string" ? JSON.parse(r.payload) : r.payload }),
    );

  /** Claims, starts and finishes one attempt of `taskId` on a worker serving `queue`, the way a coordinator does. */
  async function runAttempt(workerId: string, queue: string, result: { ok: boolean; retry?: boolean; lost?: boolean }) {
    const [claimed] = await claimDueTasks(d.db, { workerId, workerName: "w", queues: [queue], limit: 1 });
    await markAttemptsStarted(d.db, [{ taskId: claimed!.id, attempt: claimed!.attempt, workerId }]);
    const taskStatus = result.ok ? "completed" : result.retry ? "scheduled" : "failed";
    await applyAttemptOutcomes(d.db, [{
      taskId: claimed!.id, attempt: claimed!.attempt, workerId,
      attemptStatus: result.ok ? "completed" : result.lost ? "lost" : "failed", taskStatus, delayMs: 0,
      exitCode: result.ok ? 0 : result.lost ? null : 1, error: result.ok ? null : result.lost ? "worker lost" : "exit code 1",
      stdoutTail: null, stderrTail: null, startedAt: null, message: null,
    }]);
    return claimed!;
  }

  const task = (o: Partial<NewTaskRow> = {}) => insertTask(d.db, { env: { SECRET_TOKEN: "hunter2" }, ...o });

  test("a failed attempt with retries left is task.retrying; retries used up is one task.failed, without env values", async () => {
    const w = await registerWorker(d.db);
    await hook();
    const t = await task({ name: "backup", maxRetries: 1 });
    await runAttempt(w, "default", { ok: false, retry: true });
    await runAttempt(w, "default", { ok: false });
    const got = await deliveries();
    expect(got.map((g) => g.event)).toEqual(["task.retrying", "task.failed"]);
    const failed = got[1]!.payload;
    expect(failed.task).toMatchObject({ id: t.id, name: "backup", status: "failed", attempt: 2, exit_code: 1, error: "exit code 1", env_keys: ["SECRET_TOKEN"] });
    expect(failed.attempt).toBe(2);
    expect(failed.occurred_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(JSON.stringify(got)).not.toContain("hunter2");
  });

  test("completed, cancelled and lost attempts; a user's retry and the task's own progress write nothing", async () => {
    const w = await registerWorker(d.db);
    await hook();
    await task();
    await runAttempt(w, "default", { ok: true });
    const c = await task();
    await cancelTask(d.db, c.id);
    await retryTask(d.db, c.id);
    await runAttempt(w, "default", { ok: false, lost: true, retry: true });
    const events = (await deliveries()).map((g) => g.event).sort();
    expect(events).toEqual(["task.cancelled", "task.completed", "task.lost", "task.retrying"]);
  });

  test("filters: events wanted, queue, name prefix, schedule; disabled webhooks get nothing", async () => {
    const w = await registerWorker(d.db, { queues: ["default", "io"] });
    const io = await hook({ queue: "io", events: ["task.completed"] });
    const nightly = await hook({ namePrefix: "nightly-", events: ["task.completed"] });
    const failuresOnly = await hook({ events: ["task.failed"] });
    await hook({ enabled: false });
    const scheduleId = crypto.randomUUID();
    const bySchedule = await hook({ scheduleId, events: ["task.completed"] });
    await task({ name: "nightly-report", queue: "io" });
    await runAttempt(w, "io", { ok: true });
    await task({ name: "other", queue: "default", scheduleId });
    await runAttempt(w, "default", { ok: true });
    const got = (await deliveries()).map((g) => `${g.webhook_id}:${g.payload.task.name}`).sort();
    expect(got).toEqual([`${io.id}:nightly-report`, `${nightly.id}:nightly-report`, `${bySchedule.id}:other`].sort());
    expect(got.some((g) => g.startsWith(failuresOnly.id))).toBe(false);
  });

  test("schedule.failed on each failed run, schedule.recovered once on the first success after failures", async () => {
    const w = await registerWorker(d.db);
    await hook({ events: ["schedule.failed", "schedule.recovered"] });
    const scheduleId = crypto.randomUUID();
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    const outcomes = [true, false, false, true, true, false, true];
    for (const [i, ok] of outcomes.entries()) {
      await task({ scheduleId, createdAt: at(i), maxRetries: 0 });
      await runAttempt(w, "default", { ok });
    }
    expect((await deliveries()).map((g) => g.event)).toEqual([
      "schedule.failed", "schedule.failed", "schedule.recovered", "schedule.failed", "schedule.recovered",
    ]);
  });

  test("worker.dead for a worker declared dead, not for one that left on purpose; queue filter on its queues", async () => {
    const any = await hook({ events: ["worker.dead"] });
    await hook({ events: ["worker.dead"], queue: "gpu" });
    const dead = await registerWorker(d.db, { name: "box-1" });
    const left = await registerWorker(d.db, { name: "box-2" });
    await markWorkerLeft(d.db, left);
    await d.db.execute(sql`update workers set status = 'dead', stopped_at = now() where id = ${dead}`);
    // A second update of an already dead worker announces nothing more.
    await d.db.execute(sql`update workers set status = 'dead' where id = ${dead}`);
    const got = await deliveries();
    expect(got.map((g) => [g.webhook_id, g.event, g.payload.worker.name])).toEqual([[any.id, "worker.dead", "box-1"]]);
  });

  test("no enabled webhook: task traffic writes no deliveries", async () => {
    const w = await registerWorker(d.db);
    await task();
    await runAttempt(w, "default", { ok: false });
    expect(await deliveries()).toEqual([]);
  });
});
