/**
 * The report writer: a start is written while results are (it never queues behind
 * them), a start is held briefly so a quick result takes it along, an attempt's
 * result waits for its own start once that is written, and on a real database an
 * attempt whose start and result arrive together still records running first.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { describeEachBackend, openTestDatabase, type TestDatabase } from "../../test/support/databases.ts";
import { insertTask, registerWorker } from "../../test/support/factories.ts";
import { waitFor } from "../../test/support/processes.ts";
import { attemptKey, type AttemptRef } from "../core/attempt.ts";
import type { AttemptOutcomeWrite } from "../db/queries/record-attempt-outcomes.ts";
import { claimDueTasks } from "../db/queries/claim-due-tasks.ts";
import { getTask } from "../db/queries/get-task.ts";
import { tasks } from "../db/schema/index.ts";
import { rows } from "../db/sql.ts";
import { roleLogger } from "../log/logger.ts";
import { databaseWrites, ReportWriter, START_HOLD_MS, type ReportWrites } from "./report-writer.ts";

const log = roleLogger("coordinator", "test");

const outcome = (ref: AttemptRef): AttemptOutcomeWrite => ({
  ...ref,
  attemptStatus: "completed",
  taskStatus: "completed",
  delayMs: 0,
  exitCode: 0,
  error: null,
  stdoutTail: null,
  stderrTail: null,
  startedAt: null,
  message: null,
});

/** Writes that hold each batch until the test releases it, recording what was written. */
function gatedWrites() {
  const written: string[] = [];
  const held: { kind: "start" | "outcome"; release: () => void }[] = [];
  const hold = <T extends { taskId: string; attempt: number }>(kind: "start" | "outcome", items: T[]) =>
    new Promise<Set<string>>((resolve) =>
      held.push({
        kind,
        release: () => {
          written.push(...items.map((i) => `${kind} ${i.taskId}`));
          resolve(new Set(items.map((i) => attemptKey(i.taskId, i.attempt))));
        },
      }),
    );
  const writes: ReportWrites = { starts: (refs) => hold("start", refs), outcomes: (batch) => hold("outcome", batch) };
  const release = (kind: "start" | "outcome") => held.splice(held.findIndex((h) => h.kind === kind), 1)[0]!.release();
  return { writes, written, held, release };
}

test("a start is written while a batch of results is still being written", async () => {
  const g = gatedWrites();
  const writer = new ReportWriter(g.writes, log);
  const result = writer.finished(outcome({ taskId: "a", attempt: 1, workerId: "w" }));
  await waitFor("the result's write", () => g.held.length === 1);
  const start = writer.started({ taskId: "b", attempt: 1, workerId: "w" });
  await waitFor("the start's write", () => g.held.length === 2);
  g.release("start");
  expect(await start).toBe(true);
  expect(g.written).toEqual(["start b"]);
  g.release("outcome");
  expect(await result).toBe(true);
  writer.close();
});

test("an attempt's result is handed to the database only once its start is written", async () => {
  const g = gatedWrites();
  const writer = new ReportWriter(g.writes, log);
  const ref = { taskId: "a", attempt: 1, workerId: "w" };
  const start = writer.started(ref);
  await waitFor("the start's write", () => g.held.length === 1);
  const result = writer.finished(outcome(ref));
  // Another attempt's result does not wait for that start.
  const other = writer.finished(outcome({ taskId: "b", attempt: 1, workerId: "w" }));
  await waitFor("the other result's write", () => g.held.some((h) => h.kind === "outcome"));
  g.release("outcome");
  expect(await other).toBe(true);
  expect(g.held.map((h) => h.kind)).toEqual(["start"]);
  g.release("start");
  await waitFor("the result's write", () => g.held.length === 1);
  g.release("outcome");
  expect(await Promise.all([start, result])).toEqual([true, true]);
  expect(g.written).toEqual(["outcome b", "start a", "outcome a"]);
  expect(await writer.flush(1000)).toBe(true);
  writer.close();
});

test("a result whose start still waits for a statement takes the start along: one write, with the worker's spawn stamp", async () => {
  const g = gatedWrites();
  const seen: AttemptOutcomeWrite[] = [];
  const writer = new ReportWriter({ ...g.writes, outcomes: (batch) => (seen.push(...batch), g.writes.outcomes(batch)) }, log);
  // Two start statements in flight fill the writer's; the third start, past its hold, waits for one.
  const busy = [writer.started({ taskId: "a", attempt: 1, workerId: "w" })];
  await waitFor("a start write", () => g.held.length === 1);
  busy.push(writer.started({ taskId: "b", attempt: 1, workerId: "w" }));
  await waitFor("two start writes", () => g.held.length === 2);
  const ref = { taskId: "c", attempt: 1, workerId: "w", spawnedAtUs: 1_800_000_000_000_123 };
  const start = writer.started(ref);
  await Bun.sleep(START_HOLD_MS * 3);
  const result = writer.finished(outcome(ref));
  await waitFor("the result's write", () => g.held.some((h) => h.kind === "outcome"));
  expect(seen).toEqual([{ ...outcome(ref), foldedStart: { spawnedAtUs: 1_800_000_000_000_123 } }]);
  g.release("outcome");
  expect(await Promise.all([start, result])).toEqual([true, true]);
  g.release("start");
  g.release("start");
  expect(await Promise.all(busy)).toEqual([true, true]);
  expect(g.written).toEqual(["outcome c", "start a", "start b"]);
  expect(await writer.flush(1000)).toBe(true);
  writer.close();
});

test("a result arriving while its start is held takes the start along: no start statement at all", async () => {
  const g = gatedWrites();
  const seen: AttemptOutcomeWrite[] = [];
  const writer = new ReportWriter({ ...g.writes, outcomes: (batch) => (seen.push(...batch), g.writes.outcomes(batch)) }, log);
  // Nothing else is being written: before the hold, this start went out at once.
  const ref = { taskId: "a", attempt: 1, workerId: "w", spawnedAtUs: 1_800_000_000_000_456 };
  const start = writer.started(ref);
  const result = writer.finished(outcome(ref));
  await waitFor("the result's write", () => g.held.length === 1);
  expect(g.held.map((h) => h.kind)).toEqual(["outcome"]);
  expect(seen).toEqual([{ ...outcome(ref), foldedStart: { spawnedAtUs: 1_800_000_000_000_456 } }]);
  g.release("outcome");
  expect(await Promise.all([start, result])).toEqual([true, true]);
  expect(g.written).toEqual(["outcome a"]);
  writer.close();
});

test("held starts are written together once the hold passes, and at once by flush", async () => {
  const g = gatedWrites();
  const batches: number[] = [];
  const writer = new ReportWriter({ ...g.writes, starts: (refs) => (batches.push(refs.length), g.writes.starts(refs)) }, log);
  const first = [writer.started({ taskId: "a", attempt: 1, workerId: "w" }), writer.started({ taskId: "b", attempt: 1, workerId: "w" })];
  await waitFor("the held starts' write", () => g.held.length === 1);
  expect(batches).toEqual([2]);
  g.release("start");
  expect(await Promise.all(first)).toEqual([true, true]);
  const late = writer.started({ taskId: "c", attempt: 1, workerId: "w" });
  const flushed = writer.flush(1000);
  expect(g.held.map((h) => h.kind)).toEqual(["start"]);
  g.release("start");
  expect(await late).toBe(true);
  expect(await flushed).toBe(true);
  writer.close();
});

describeEachBackend("report writer", (backend) => {
  let d: TestDatabase;
  beforeAll(async () => {
    d = await openTestDatabase(backend);
  });
  afterAll(() => d.close());
  beforeEach(async () => {
    await d.db.execute(sql`truncate tasks, task_attempts, task_events, workers cascade`);
  });

  test("a start and its result reported back to back: running is recorded, then the outcome", async () => {
    const w = await registerWorker(d.db);
    const task = await insertTask(d.db);
    const [claimed] = await claimDueTasks(d.db, { workerId: w, workerName: "w", queues: ["default"], limit: 1 });
    const writer = new ReportWriter(databaseWrites(d.db), log);
    const ref = { taskId: claimed!.id, attempt: claimed!.attempt, workerId: w };
    expect(await Promise.all([writer.started(ref), writer.finished(outcome(ref))])).toEqual([true, true]);
    const [row] = await d.db.select().from(tasks).where(eq(tasks.id, task.id));
    expect(row!.status).toBe("completed");
    expect(row!.startedAt).not.toBeNull();
    const events = (await getTask(d.db, task.id))!.events;
    expect(events.map((e) => e.status)).toEqual(["picked", "running", "completed"]);
    expect(events[1]!.at).toEqual(row!.startedAt!);
    writer.close();
  });

  test("a start written after its hold is dated back to its arrival, never before the pick", async () => {
    const w = await registerWorker(d.db);
    const task = await insertTask(d.db);
    const [claimed] = await claimDueTasks(d.db, { workerId: w, workerName: "w", queues: ["default"], limit: 1 });
    const writer = new ReportWriter(databaseWrites(d.db), log);
    expect(await writer.started({ taskId: claimed!.id, attempt: claimed!.attempt, workerId: w })).toBe(true);
    const [row] = await d.db.select().from(tasks).where(eq(tasks.id, task.id));
    expect(row!.status).toBe("running");
    // Written at least START_HOLD_MS after it arrived (updated_at is the write's now()), stamped as of
    // its arrival: the hold, give or take a millisecond of rounding, before the write. Compared with the
    // write's own time, not the test's clock, so a slow machine cannot move it.
    expect(row!.updatedAt.getTime() - row!.startedAt!.getTime()).toBeGreaterThanOrEqual(START_HOLD_MS - 1);
    expect(row!.startedAt!.getTime()).toBeGreaterThanOrEqual(row!.pickedAt!.getTime());
    const events = (await getTask(d.db, task.id))!.events;
    expect(events.map((e) => e.status)).toEqual(["picked", "running"]);
    expect(events[1]!.at).toEqual(row!.startedAt!);
    writer.close();
  });
});
