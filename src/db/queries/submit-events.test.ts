import { afterAll, beforeAll, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { describeEachBackend, openTestDatabase, type TestDatabase } from "../../../test/support/databases.ts";
import { waitFor } from "../../../test/support/processes.ts";
import { eventJson } from "../../scheduler/tasks/task-json.ts";
import { parsePayload, TASK_CHANNEL, taskChangesOf, type TaskChange, type TaskNotice } from "../channels.ts";
import { schedules, taskEvents, tasks } from "../schema/index.ts";
import { countPrunableTasks } from "./count-prunable.ts";
import { getTask } from "./get-task.ts";
import { insertTasks, type NewTask } from "./insert-tasks.ts";
import { pruneFinishedTasks } from "./prune-finished-tasks.ts";
import { recordTransitions } from "./record-transitions.ts";

const newTask = (o: Partial<NewTask> = {}): NewTask => ({
  name: "n", command: "true", env: {}, queue: "default", priority: 0, runAt: null, delayMs: 0, maxRetries: 3, backoffMs: 1000,
  backoffFactor: 2, backoffMaxMs: 3_600_000, timeoutMs: null, idempotencyKey: null, createdBy: "api", ...o,
});

describeEachBackend("a new task's created and scheduled events, read from its row", (backend) => {
  let d: TestDatabase;
  beforeAll(async () => {
    d = await openTestDatabase(backend);
  });
  afterAll(() => d.close());

  /** A task as the insert stored it before submit_events_in_row: the row and its two event rows, in one transaction. */
  async function insertWithStoredEvents(createdBy: string | null): Promise<string> {
    return d.db.transaction(async (tx) => {
      const [t] = await tx.insert(tasks).values({ name: "n", command: "true", status: "scheduled" }).returning();
      await tx.execute(sql`insert into task_events (task_id, attempt, status, message)
        values (${t!.id}, 0, 'created', ${createdBy === null ? null : `created by ${createdBy}`}), (${t!.id}, 0, 'scheduled', null)`);
      return t!.id;
    });
  }

  /** The events as the API shows them, with each task's own times made relative to its creation. */
  async function timeline(id: string) {
    const detail = (await getTask(d.db, id))!;
    return detail.events.map((e) => ({ ...eventJson(e), at: e.at.getTime() - detail.task.createdAt.getTime() }));
  }

  test("the timeline is the same as with stored events: before, and after later transitions", async () => {
    for (const createdBy of ["api", null]) {
      const stored = await insertWithStoredEvents(createdBy);
      const [made] = await insertTasks(d.db, [newTask({ createdBy })]);
      const fresh = made!.task.id;
      expect(await d.db.select().from(taskEvents).where(eq(taskEvents.taskId, fresh))).toEqual([]);
      expect(await timeline(fresh)).toEqual(await timeline(stored));
      expect((await timeline(fresh))[0]).toEqual({ status: "created", attempt: 0, at: 0, worker: null, message: createdBy === null ? null : `created by ${createdBy}` });
      for (const id of [stored, fresh]) {
        await d.db.transaction((tx) => recordTransitions(tx, [{ taskId: id, attempt: 1, status: "picked", worker: "w1" }]));
      }
      const [a, b] = [await timeline(stored), await timeline(fresh)];
      expect(b.map((e) => e.status)).toEqual(["created", "scheduled", "picked"]);
      expect(b.map(({ at, ...e }) => e)).toEqual(a.map(({ at, ...e }) => e));
    }
  });

  test("the change feed's channel hears each new task's created and scheduled, in order, with its queue and schedule-ness", async () => {
    const heard: string[] = [];
    const stop = await d.listen(TASK_CHANNEL, (p) => heard.push(p));
    try {
      // 400 tasks: runs of queues a, b, a again, each past one notice's 150 ids.
      const queues = Array.from({ length: 400 }, (_, i) => (i < 160 ? "a" : i < 320 ? "b" : "a"));
      const made = await insertTasks(d.db, queues.map((queue, i) => newTask({ name: `t${i}`, queue })));
      const expected: TaskChange[] = made.flatMap(({ task }) => [
        { id: task.id, status: "created", attempt: 0, queue: task.queue },
        { id: task.id, status: "scheduled", attempt: 0, queue: task.queue },
      ]);
      const changes = () => taskChangesOf(heard.flatMap((p) => parsePayload<TaskNotice>(p)));
      await waitFor("800 changes", () => changes().length >= expected.length);
      expect(changes()).toEqual(expected);
      expect(heard.length).toBe(5);
      expect(Math.max(...heard.map((p) => p.length))).toBeLessThan(8000);
    } finally {
      await stop();
    }
  });

  test("a repeated idempotency key announces nothing again; a schedule's task says so", async () => {
    const [first] = await insertTasks(d.db, [newTask({ idempotencyKey: "k-announce" })]);
    const heard: string[] = [];
    const stop = await d.listen(TASK_CHANNEL, (p) => heard.push(p));
    try {
      const [schedule] = await d.db.insert(schedules).values({ name: "s", cron: "* * * * *", template: {} }).returning();
      const scheduleId = schedule!.id;
      const made = await insertTasks(d.db, [newTask({ idempotencyKey: "k-announce" }), newTask({ scheduleId })]);
      expect(made[0]!.task.id).toBe(first!.task.id);
      await waitFor("the schedule's task", () => heard.length > 0);
      expect(heard.flatMap((p) => parsePayload<TaskNotice>(p))).toEqual([{ submitted: [made[1]!.task.id], queue: "default", schedule: true }]);
    } finally {
      await stop();
    }
  });

  test("pruning counts the two events a task holds in its row, as if they were stored", async () => {
    const [t] = await insertTasks(d.db, [newTask({ queue: "prune-me" })]);
    await d.db.update(tasks).set({ status: "completed", finishedAt: new Date(Date.now() - 60_000) }).where(eq(tasks.id, t!.task.id));
    await d.db.transaction((tx) => recordTransitions(tx, [{ taskId: t!.task.id, attempt: 1, status: "completed" }]));
    const prunable = await countPrunableTasks(d.db, "completed", 1000);
    expect(prunable).toEqual({ tasks: 1, attempts: 0, events: 3 });
    const pruned = await pruneFinishedTasks(d.db, { status: "completed", olderThanMs: 1000, limit: 100 });
    expect(pruned).toEqual(prunable);
  });
});
