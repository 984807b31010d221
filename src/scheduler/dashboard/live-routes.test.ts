import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { describeEachBackend } from "../../../test/support/databases.ts";
import { registerWorker } from "../../../test/support/factories.ts";
import { waitFor } from "../../../test/support/processes.ts";
import { cancelTask } from "../../db/queries/cancel-task.ts";
import { insertTasks } from "../../db/queries/insert-tasks.ts";
import { recordTransitions } from "../../db/queries/record-transitions.ts";
import { taskAttempts, tasks } from "../../db/schema/index.ts";
import { validateNewTask } from "../tasks/validate-task.ts";
import { SchedulerTestApp } from "../../../test/support/scheduler-app.ts";
import type { SseReader } from "../../../test/support/sse.ts";

const CLIENTS = 100;

describeEachBackend("dashboard live streams", (backend) => {
  let t: SchedulerTestApp;
  let open: SseReader[] = [];
  /** Feed subscribers besides the dashboard's streams (metrics, for one). */
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
    await t.db.execute(sql`truncate tasks, task_attempts, task_output_chunks, task_events, workers`);
  });

  /** Submits a task through the same query the API uses (its notifications feed the streams). */
  const submit = async (body: Record<string, unknown>) => {
    const checked = validateNewTask({ command: "true", ...body });
    if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
    return (await insertTasks(t.db, [checked.value]))[0]!.task;
  };
  const streamUrl = (html: string) => /sse-connect="([^"]+)"/.exec(html)![1]!;
  const connect = (url: string, n = 1, headers: Record<string, string> = {}) => {
    const streams = Array.from({ length: n }, () => t.stream(url, headers));
    open.push(...streams);
    return streams;
  };
  const connected = (streams: SseReader[]) => waitFor("streams open", () => streams.every((s) => s.raw.startsWith("retry:")));

  test(`task list: ${CLIENTS} open lists get rows updated in place and new tasks on top, with no query per client`, async () => {
    const first = await submit({ name: "first" });
    const page = await t.page("/tasks");
    const streams = connect(streamUrl(page.html), CLIENTS);
    await connected(streams);
    const before = t.queries.count;

    await cancelTask(t.db, first.id);
    for (const s of streams) await s.next("tasks", (e) => e.data.includes(`<tr id="task-${first.id}"`) && e.data.includes("badge-cancelled"));

    const evil = await submit({ name: "<script>alert(1)</script>\nsecond line" });
    for (const s of streams) {
      const e = await s.next("tasks", (e) => e.data.includes(`id="task-${evil.id}"`));
      expect(e.data).toStartWith('<tbody hx-swap-oob="afterbegin:#task-rows"><tr id="task-');
      expect(e.data).toContain("&lt;script&gt;alert(1)&lt;/script&gt;\nsecond line");
      expect(e.data).not.toContain("<script>");
      expect(e.id).toMatch(/^[0-9a-f]{8}-\d+$/);
    }
    // Multi-line HTML is framed as several data: lines.
    expect(streams[0]!.raw).toContain("\ndata: second line</a>");
    // Later changes to the new row update it in place.
    await cancelTask(t.db, evil.id);
    await streams[0]!.next("tasks", (e) => e.data.startsWith(`<tr id="task-${evil.id}" class="task-row" hx-swap-oob="true"`));
    expect(t.queries.count - before).toBe(0);

    for (const s of streams) s.close();
    await waitFor("every stream unsubscribed", () => t.feed.subscribers === baseline);
  });

  test("task list: other filters and older pages are left alone; a task newly matching a status filter appears on its first page", async () => {
    const old = await submit({ name: "old" });
    await submit({ name: "older-page-anchor" });
    const [failedList] = connect(streamUrl((await t.page("/tasks?status=cancelled")).html));
    const [mailList] = connect(streamUrl((await t.page("/tasks?queue=mail")).html));
    const olderPage = (await t.page("/tasks?limit=1")).html;
    const older = /href="(\/tasks\?limit=1&cursor=[^"]+)"/.exec(olderPage)![1]!;
    const [secondPage] = connect(streamUrl((await t.page(older)).html));
    await connected([failedList!, mailList!, secondPage!]);

    await submit({ name: "new default task" });
    await cancelTask(t.db, old.id);
    const entered = await failedList!.next("tasks");
    expect(entered.data).toStartWith('<tbody hx-swap-oob="afterbegin:#task-rows">');
    expect(entered.data).toContain(`<tr id="task-${old.id}"`);
    // The second page shows `old`, which is updated in place; nothing is inserted there.
    await secondPage!.next("tasks", (e) => e.data.includes(`<tr id="task-${old.id}"`));
    await Bun.sleep(150);
    expect(mailList!.named("tasks")).toEqual([]);
    expect(secondPage!.events.some((e) => e.data.includes("afterbegin"))).toBe(false);
  });

  test("task list: a row updated live shows the failure reason the page shows (stderr's last line), in the list and in /api/events", async () => {
    const task = await submit({ name: "quota" });
    const page = await t.page("/tasks");
    const [list] = connect(streamUrl(page.html));
    const [events] = connect("/api/events");
    await connected([list!, events!]);
    // The attempt ends as a worker's report writes it: exit code only in the error, the complaint on stderr.
    await t.db.insert(taskAttempts).values({ taskId: task.id, attempt: 1, worker: "w1", status: "failed", error: "exit code 2", stderrTail: "loading\nquota exceeded for bucket exports\n", finishedAt: new Date() });
    await t.db.update(tasks).set({ status: "failed", attempt: 1, exitCode: 2, error: "exit code 2", finishedAt: new Date() }).where(eq(tasks.id, task.id));
    await recordTransitions(t.db, [{ taskId: task.id, attempt: 1, status: "failed", message: "attempt 1 failed" }]);
    const row = await list!.next("tasks", (e) => e.data.includes(`<tr id="task-${task.id}"`) && e.data.includes("badge-failed"));
    expect(row.data).toContain('<small class="failure-reason mono" title="quota exceeded for bucket exports">quota exceeded for bucket exports</small>');
    // The same row as a freshly rendered page.
    expect((await t.page("/tasks")).html).toContain('<small class="failure-reason mono" title="quota exceeded for bucket exports">quota exceeded for bucket exports</small>');
    const ev = await events!.next("task", (e) => e.data.includes('"status":"failed"'));
    expect(JSON.parse(ev.data).task.failure_reason).toBe("quota exceeded for bucket exports");
  });

  test(`task page: ${CLIENTS} viewers of one task cost one load per change, and get its summary, timeline and attempts`, async () => {
    const task = await submit({ name: "watched <b>task</b>" });
    const streams = connect(streamUrl((await t.page(`/tasks/${task.id}`)).html), CLIENTS);
    await connected(streams);
    const before = t.queries.count;
    await cancelTask(t.db, task.id);
    for (const s of streams) {
      expect((await s.next("task-summary", (e) => e.data.includes("badge-cancelled"))).data).toContain("watched &lt;b&gt;task&lt;/b&gt;");
      await s.next("task-timeline", (e) => e.data.includes("timeline-cancelled"));
      await s.next("task-attempts");
    }
    // One shared load (a single read-only transaction) for the change, not one per viewer.
    expect(t.queries.count - before).toBe(1);
  });

  test("a page's stream replays what changed between the render and the connection; a foreign position starts over", async () => {
    const task = await submit({ name: "racy" });
    const url = streamUrl((await t.page(`/tasks/${task.id}`)).html);
    await cancelTask(t.db, task.id);
    await waitFor("the change in the feed", () => t.feed.lastSeq > 0 && true);
    await Bun.sleep(100);
    const [late] = connect(url);
    await late!.next("task-summary", (e) => e.data.includes("badge-cancelled"));

    const [stranger] = connect(url.replace(/after=[^&]+/, "after=0badc0de-1"));
    await stranger!.next("task-summary", (e) => e.data.includes("badge-cancelled"));

    // A list reconnecting (Last-Event-ID) gets its rows again from the database: it may have missed inserts.
    const list = streamUrl((await t.page("/tasks")).html);
    const [reconnected] = connect(list, 1, { "last-event-id": "0badc0de-9" });
    const resync = await reconnected!.next("tasks");
    expect(resync.data).toStartWith('<tbody hx-swap-oob="innerHTML:#task-rows">');
    expect(resync.data).toContain(`id="task-${task.id}"`);
  });

  test(`overview: ${CLIENTS} open overviews share one throttled load per second`, async () => {
    const streams = connect("/live/overview", CLIENTS);
    for (const s of streams) await s.next("counts");
    const before = t.queries.count;
    for (let i = 0; i < 20; i++) await submit({ name: `burst ${i}` });
    for (const s of streams) await s.next("counts", (e) => e.data.includes('<span class="count-n">20</span><span class="badge badge-other">all</span>'), 5000);
    expect(streams[0]!.named("throughput").length).toBeGreaterThanOrEqual(1);
    expect(streams[0]!.named("queues").at(-1)!.data).toContain(">default<");
    // Each load is 5 small queries; a burst of 20 submissions over ~1 s is 1 to 3 loads for all 100 clients.
    const queries = t.queries.count - before;
    expect(queries).toBeGreaterThanOrEqual(5);
    expect(queries).toBeLessThanOrEqual(15);
  });

  test("workers: the table body is sent when a worker joins", async () => {
    const [s] = connect("/live/workers");
    await s!.next("workers");
    await registerWorker(t.db, { name: "late-joiner" });
    const e = await s!.next("workers", (e) => e.data.includes("late-joiner"), 5000);
    expect(e.data).toContain("badge-alive");
  });
});
