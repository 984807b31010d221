/** The dashboard's flow-control pages through app.handle(): queues and their pause, waiting reasons, schedule edit, run now, delete and history. */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { describeEachBackend } from "../../../test/support/databases.ts";
import { registerWorker } from "../../../test/support/factories.ts";
import { SchedulerTestApp, taskBody } from "../../../test/support/scheduler-app.ts";
import { claimDueTasks } from "../../db/queries/claim-due-tasks.ts";
import { insertSchedule } from "../../db/queries/insert-schedule.ts";
import { tickDueSchedules } from "../../db/queries/tick-schedules.ts";
import { schedules, tasks } from "../../db/schema/index.ts";

const TEMPLATE = { command: "backup.sh", env: { A: "1" }, queue: "default", priority: 0, max_retries: 3, backoff_ms: 1000, backoff_factor: 2, backoff_max_ms: 3_600_000, timeout_ms: null };

describeEachBackend("dashboard flow control", (backend) => {
  let t: SchedulerTestApp;
  beforeAll(async () => {
    t = await SchedulerTestApp.open(backend);
  });
  afterAll(() => t.close());
  beforeEach(() => t.reset());

  test("queues page lists queues with workers; Pause and Resume are form posts that hold back and release claims", async () => {
    const w = await registerWorker(t.db, { queues: ["mail"], concurrency: 2 });
    await t.post("/api/tasks", taskBody({ queue: "mail" }));
    const page = await t.page("/queues");
    expect(page.status).toBe(200);
    expect(page.html).toContain('aria-current="page">Queues</a>');
    expect(page.html).toMatch(/<tr id="queue-mail"[^>]*data-paused="false"/);
    expect(page.html).toContain("1 (0 of 2 slots busy)");
    const paused = await t.postForm("/queues/mail/pause", {});
    expect(paused.status).toBe(303);
    expect(paused.headers.get("location")).toBe("/queues#queue-mail");
    expect((await t.page("/queues")).html).toMatch(/<tr id="queue-mail"[^>]*data-paused="true"/);
    expect(await claimDueTasks(t.db, { workerId: w, workerName: "w", queues: ["mail"], limit: 5 })).toEqual([]);
    await t.postForm("/queues/mail/resume", {});
    expect(await claimDueTasks(t.db, { workerId: w, workerName: "w", queues: ["mail"], limit: 5 })).toHaveLength(1);
    expect((await t.postForm("/queues/Not%20A%20Queue/pause", {})).status).toBe(404);
  });

  test("the task list and the task page say why a scheduled task waits", async () => {
    const parent = (await t.post("/api/tasks", taskBody({ name: "parent", delay_ms: 60_000 }))).body.id;
    const child = (await t.post("/api/tasks", taskBody({ name: "child", depends_on: [parent] }))).body.id;
    const list = await t.page("/tasks");
    expect(list.html).toContain("run_at in the future");
    expect(list.html).toContain(`waiting for 1 task to finish: ${parent}`);
    const detail = await t.page(`/tasks/${child}`);
    expect(detail.html).toContain(`Waiting: <span>waiting for 1 task to finish: ${parent}</span>`);
  });

  test("a schedule's page edits every field, runs it now, shows its history with skipped ticks, and deletes it", async () => {
    const { schedule: s } = await insertSchedule(t.db, { name: "nightly", cron: "0 3 * * *", timezone: "UTC", template: TEMPLATE, paused: true, overlap: "skip", catchUp: "latest", catchUpMax: 10 });
    const page = await t.page(`/schedules/${s.id}`);
    expect(page.status).toBe(200);
    expect(page.html).toContain(`action="/schedules/${s.id}"`);
    expect(page.html).toContain('<option value="skip" selected');
    expect(page.html).toContain("A=1");
    const saved = await t.postForm(`/schedules/${s.id}`, {
      name: "nightly v2", cron: "0 4 * * *", timezone: "Europe/Berlin", command: "backup2.sh", queue: "io", priority: "5", max_retries: "1", timeout_ms: "60000", env: "B=2",
      overlap: "queue_one", catch_up: "all", catch_up_max: "4",
    });
    expect(saved.status).toBe(303);
    const [row] = await t.db.select().from(schedules).where(eq(schedules.id, s.id));
    expect(row).toMatchObject({ name: "nightly v2", cron: "0 4 * * *", timezone: "Europe/Berlin", overlap: "queue_one", catchUp: "all", catchUpMax: 4, paused: true });
    expect(row!.template).toMatchObject({ command: "backup2.sh", queue: "io", priority: 5, max_retries: 1, timeout_ms: 60000, env: { B: "2" } });
    const refused = await t.postForm(`/schedules/${s.id}`, { name: "", cron: "nope", command: "x", overlap: "sometimes", catch_up: "latest", catch_up_max: "1" });
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain("The schedule was not saved");

    const ran = await t.postForm(`/schedules/${s.id}/run`, {});
    expect(ran.status).toBe(303);
    const taskId = ran.headers.get("location")!.replace("/tasks/", "");
    const [made] = await t.db.select().from(tasks).where(eq(tasks.id, taskId));
    expect(made).toMatchObject({ scheduleId: s.id, command: "backup2.sh" });
    // A due time while the manual run is live: queue_one queues one; make it skip with a second.
    await t.db.update(schedules).set({ paused: false, overlap: "skip", nextRunAt: sql`now() - interval '1 second'` as unknown as Date }).where(eq(schedules.id, s.id));
    await tickDueSchedules(t.db, 10);
    const history = (await t.page(`/schedules/${s.id}`)).html;
    expect(history).toContain("tick-skipped");
    expect(history).toContain(`run ${taskId} is still scheduled`);
    expect(history).toContain("tick-manual");

    expect((await t.page("/schedules")).html).toContain(`action="/schedules/${s.id}/run"`);
    const deleted = await t.postForm(`/schedules/${s.id}/delete`, {});
    expect(deleted.headers.get("location")).toBe("/schedules");
    expect(await t.db.select().from(schedules)).toEqual([]);
    expect((await t.page(`/schedules/${s.id}`)).status).toBe(404);
    expect((await t.postForm(`/schedules/${crypto.randomUUID()}/run`, {})).status).toBe(404);
  });
});
