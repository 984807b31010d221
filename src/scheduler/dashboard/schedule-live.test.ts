/**
 * The schedules page's live stream and the schedule-filtered task list, on each
 * backend: ticks, their tasks' transitions and edits made elsewhere reach every
 * open page through the change feed, at the cost of shared, throttled loads.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { describeEachBackend } from "../../../test/support/databases.ts";
import { insertTask } from "../../../test/support/factories.ts";
import { waitFor } from "../../../test/support/processes.ts";
import { cancelTask } from "../../db/queries/cancel-task.ts";
import { insertSchedule, type NewSchedule } from "../../db/queries/insert-schedule.ts";
import { tickDueSchedules } from "../../db/queries/tick-schedules.ts";
import { updateSchedule } from "../../db/queries/update-schedule.ts";
import { schedules } from "../../db/schema/index.ts";
import type { FeedBatch } from "../live/change-feed.ts";
import { SchedulerTestApp } from "../../../test/support/scheduler-app.ts";
import type { SseReader } from "../../../test/support/sse.ts";
import { affectsSchedules } from "./dashboard-live.ts";

const CLIENTS = 50;
const TEMPLATE = { command: "true", env: {}, queue: "default", priority: 0, max_retries: 0, backoff_ms: 1000, backoff_factor: 2, backoff_max_ms: 3_600_000, timeout_ms: null };

describe("affectsSchedules", () => {
  const batch = (o: Partial<FeedBatch>): FeedBatch => ({ seq: 1, taskChanges: [], tasks: new Map(), failures: new Map(), workerChanges: [], workers: new Map(), scheduleChanges: [], rowsLoaded: false, ...o });

  test("schedule changes and tasks made by a schedule count; other tasks and workers do not", () => {
    expect(affectsSchedules(batch({ scheduleChanges: [{ id: "s", change: "updated" }] }))).toBe(true);
    expect(affectsSchedules(batch({ taskChanges: [{ id: "t", status: "running", attempt: 1, schedule: true }] }))).toBe(true);
    expect(affectsSchedules(batch({ taskChanges: [{ id: "t", status: "running", attempt: 1 }] }))).toBe(false);
    expect(affectsSchedules(batch({ workerChanges: [{ id: "w", name: "w", status: "alive" }] }))).toBe(false);
  });
});

describeEachBackend("dashboard schedules live", (backend) => {
  let t: SchedulerTestApp;
  let open: SseReader[] = [];
  let baseline = 0;
  beforeAll(async () => {
    t = await SchedulerTestApp.open(backend);
    baseline = t.feed.subscribers;
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    for (const s of open) s.close();
    open = [];
    await waitFor("streams closed", () => t.feed.subscribers === baseline);
    await t.db.execute(sql`truncate tasks, task_attempts, task_output_chunks, task_events, schedules`);
  });

  const connect = (url: string, n = 1) => {
    const streams = Array.from({ length: n }, () => t.stream(url));
    open.push(...streams);
    return streams;
  };
  const create = async (s: Partial<NewSchedule> = {}) =>
    (await insertSchedule(t.db, { name: "every second", cron: "* * * * * *", timezone: "UTC", template: TEMPLATE, paused: false, overlap: "allow", catchUp: "latest", catchUpMax: 10, ...s })).schedule;
  const tick = async (id: string) => {
    await t.db.update(schedules).set({ nextRunAt: sql`now() - interval '1 second'` as unknown as Date }).where(eq(schedules.id, id));
    return (await tickDueSchedules(t.db, 10)).ticks.find((k) => k.scheduleId === id)!;
  };
  const lastRun = (id: string, taskId: string, status: string) => (e: { data: string }) =>
    new RegExp(`<tr id="schedule-${id}".*<a href="/tasks/${taskId}" class="badge-link"[^>]*><span class="badge badge-${status}">`, "s").test(e.data);

  test(`${CLIENTS} open schedule pages follow ticks, their task's status and pauses made elsewhere, sharing throttled loads`, async () => {
    const s = await create();
    const streams = connect("/live/schedules", CLIENTS);
    for (const r of streams) await r.next("schedules", (e) => e.data.includes(`id="schedule-${s.id}"`));
    const before = t.queries.count;

    const ticked = await tick(s.id);
    for (const r of streams) await r.next("schedules", lastRun(s.id, ticked.taskId, "scheduled"));
    // The task moving on changes the last run's badge (the feed carries it: it has a schedule_id).
    await cancelTask(t.db, ticked.taskId);
    for (const r of streams) await r.next("schedules", lastRun(s.id, ticked.taskId, "cancelled"));
    // An edit through the API (here: its query, as another scheduler process would run it) arrives on the schedule channel.
    await updateSchedule(t.db, s.id, { paused: true });
    for (const r of streams) await r.next("schedules", (e) => e.data.includes('<span class="badge badge-paused">paused</span>'));

    // Three changes a throttle interval apart: a handful of one-query loads for all the clients, not one per client.
    const queries = t.queries.count - before;
    expect(queries).toBeGreaterThanOrEqual(3);
    expect(queries).toBeLessThanOrEqual(6);
    // Each stream sends a body only when it differs from the last it sent.
    expect(new Set(streams[0]!.named("schedules").map((e) => e.data)).size).toBe(streams[0]!.named("schedules").length);
  });

  test("tasks that no schedule made cause no reload", async () => {
    await create();
    const [r] = connect("/live/schedules");
    await r!.next("schedules");
    // A stream that starts from a cached value refreshes it once (the feed moved since): let that pass first.
    await Bun.sleep(1100);
    const before = t.queries.count;
    const task = await insertTask(t.db, { status: "scheduled" });
    await cancelTask(t.db, task.id);
    await Bun.sleep(1300);
    expect(t.queries.count - before).toBe(0);
  });

  test("a task list filtered by schedule gets that schedule's new tasks on top, and no other's", async () => {
    const mine = await create({ name: "mine" });
    const other = await create({ name: "other" });
    const page = await t.page(`/tasks?schedule=${mine.id}`);
    const [r] = connect(/sse-connect="([^"]+)"/.exec(page.html)![1]!);
    await waitFor("stream open", () => r!.raw.startsWith("retry:"));
    const theirs = await tick(other.id);
    const ours = await tick(mine.id);
    const e = await r!.next("tasks", (e) => e.data.includes(`id="task-${ours.taskId}"`));
    expect(e.data).toStartWith('<tbody hx-swap-oob="afterbegin:#task-rows">');
    await Bun.sleep(150);
    expect(r!.events.some((x) => x.data.includes(theirs.taskId))).toBe(false);
  });
});
