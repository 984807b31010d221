import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { describeEachBackend } from "../../../test/support/databases.ts";
import { insertTask, insertTasks, registerWorker } from "../../../test/support/factories.ts";
import { taskAttempts, taskEvents, tasks } from "../../db/schema/index.ts";
import { ASSET_URLS } from "../../../views/asset-urls.ts";
import { SchedulerTestApp } from "../../../test/support/scheduler-app.ts";

const XSS_NAME = `<script>alert("name")</script>`;
const XSS_COMMAND = `echo "<img src=x onerror=alert(1)>"`;

describeEachBackend("dashboard pages", (backend) => {
  let t: SchedulerTestApp;
  beforeAll(async () => {
    t = await SchedulerTestApp.open(backend);
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.db.execute(sql`truncate tasks, task_attempts, task_output_chunks, task_events, workers`);
  });

  test("the overview renders every panel, counts link to the filtered list, and it follows its stream", async () => {
    await insertTasks(t.db, 3, { status: "completed", finishedAt: new Date() });
    await insertTask(t.db, { status: "failed", finishedAt: new Date(), error: "exit code 7" });
    await registerWorker(t.db);
    const { status, html, headers } = await t.page("/");
    expect(status).toBe(200);
    expect(headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toMatch(/href="\/tasks\?status=completed"><span class="count-n">3<\/span>/);
    expect(html).toMatch(/href="\/tasks\?status=failed"><span class="count-n">1<\/span>/);
    expect(html).toContain('aria-label="3 completed and 1 failed in the last 60 minutes"');
    expect(html).toMatch(/<span class="count-n">1<\/span><span class="badge badge-alive">alive<\/span>/);
    expect(html).toContain("exit code 7");
    expect(html).toContain('sse-connect="/live/overview"');
    // Retention: the policies (defaults), the oldest kept finished task, the database size.
    expect(html).toMatch(/<h2 id="h-retention">Retention<\/h2>/);
    expect(html).toMatch(/badge-completed">completed<\/span><\/td><td class="num">7d<\/td><td class="num">(\d+(\.\d)? (ms|s))<\/td>/);
    expect(html).toMatch(/badge-failed">failed<\/span><\/td><td class="num">30d<\/td>/);
    expect(html).toMatch(/<td>dead workers<\/td><td class="num">1d<\/td>/);
    expect(html).toMatch(/Database \d+\.\d MiB · pruned so far: 0 tasks, 0 events, 0 worker sessions/);
    // Nothing from elsewhere: every script and stylesheet is served by taskflow.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  test("the task list: newest first, filters, name search, keyset pagination, times relative and absolute", async () => {
    const [a, b, c] = await insertTasks(t.db, 3, { status: "scheduled" });
    await t.db.update(tasks).set({ createdAt: sql`now() - interval '1 hour'` }).where(eq(tasks.id, a!.id));
    await t.db.update(tasks).set({ createdAt: sql`now() - interval '1 minute'` }).where(eq(tasks.id, b!.id));
    await t.db.update(tasks).set({ status: "failed", queue: "mail", name: "send mail" }).where(eq(tasks.id, b!.id));
    const all = await t.page("/tasks");
    expect(all.status).toBe(200);
    const order = [...all.html.matchAll(/id="task-([0-9a-f-]{36})"/g)].map((m) => m[1]);
    expect(order).toEqual([c!.id, b!.id, a!.id]);
    expect(all.html).toContain("1 h ago");
    expect(all.html).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC/);

    const rowsOf = async (query: string) => [...(await t.page(`/tasks?${query}`)).html.matchAll(/id="task-([0-9a-f-]{36})"/g)].map((m) => m[1]);
    expect(await rowsOf("status=failed")).toEqual([b!.id]);
    expect(await rowsOf("queue=mail")).toEqual([b!.id]);
    expect(await rowsOf("q=MAIL")).toEqual([b!.id]);
    expect(await rowsOf("status=scheduled&queue=mail")).toEqual([]);
    const filtered = await t.page("/tasks?status=failed&q=mail");
    expect(filtered.html).toContain('<option value="failed" selected>');
    expect(filtered.html).toContain('value="mail"');

    const first = await t.page("/tasks?limit=2");
    const older = /href="(\/tasks\?limit=2&cursor=[^"]+)">Older/.exec(first.html)?.[1];
    expect(older).toBeDefined();
    expect(await rowsOf(older!.slice("/tasks?".length))).toEqual([a!.id]);
  });

  test("bad list filters are named on the page, not a 500", async () => {
    const { status, html } = await t.page("/tasks?status=bogus");
    expect(status).toBe(422);
    expect(html).toContain("status: must be a comma list of");
  });

  test("user text is escaped everywhere: names, commands, env, output, errors, worker names", async () => {
    const task = await insertTask(t.db, {
      name: XSS_NAME,
      command: XSS_COMMAND,
      env: { EVIL: "</td><script>alert(2)</script>" },
      status: "failed",
      worker: "<b>worker</b>",
      error: "<script>alert(3)</script>",
      attempt: 1,
    });
    await t.db.insert(taskAttempts).values({ taskId: task.id, attempt: 1, worker: "<b>worker</b>", status: "failed", stdoutTail: "<script>alert(4)</script>", stderrTail: "a & b" });
    await t.db.insert(taskEvents).values({ taskId: task.id, attempt: 1, status: "failed", worker: "<b>worker</b>", message: "<script>alert(5)</script>" });
    await registerWorker(t.db, { name: "<script>alert(6)</script>", host: "<i>host</i>", queues: ["<q>"] });
    for (const path of ["/", "/tasks", `/tasks/${task.id}`, "/workers"]) {
      const { html } = await t.page(path);
      expect(html).not.toMatch(/<script>alert|<b>worker|<img src=x|<i>host|<q>/);
    }
    const detail = (await t.page(`/tasks/${task.id}`)).html;
    expect(detail).toContain("&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;");
    expect(detail).toContain("echo &quot;&lt;img src=x onerror=alert(1)&gt;&quot;");
    expect(detail).toContain("&lt;/td&gt;&lt;script&gt;alert(2)&lt;/script&gt;");
    expect(detail).toContain("&lt;script&gt;alert(4)&lt;/script&gt;");
    expect(detail).toContain("a &amp; b");
    expect((await t.page("/workers")).html).toContain("&lt;script&gt;alert(6)&lt;/script&gt;");
  });

  test("the task page shows every field, the timeline with durations, attempts with output, and the allowed actions", async () => {
    const task = await insertTask(t.db, {
      name: "nightly",
      command: "echo hi",
      env: { REGION: "eu" },
      queue: "reports",
      priority: 5,
      timeoutMs: 60_000,
      idempotencyKey: "nightly-1",
      status: "completed",
      attempt: 1,
      worker: "w1",
      exitCode: 0,
      startedAt: new Date(Date.now() - 1500),
      finishedAt: new Date(),
    });
    await t.db.insert(taskAttempts).values({
      taskId: task.id, attempt: 1, worker: "w1", status: "completed", exitCode: 0,
      startedAt: new Date(Date.now() - 1500), finishedAt: new Date(), stdoutTail: "hi\nthere\n", stderrTail: "",
    });
    const at = (ms: number) => new Date(Date.now() - ms);
    await t.db.insert(taskEvents).values([
      { taskId: task.id, attempt: 0, status: "created", at: at(3000) },
      { taskId: task.id, attempt: 0, status: "scheduled", at: at(3000) },
      { taskId: task.id, attempt: 1, status: "picked", worker: "w1", at: at(2000) },
      { taskId: task.id, attempt: 1, status: "running", worker: "w1", at: at(1500) },
      { taskId: task.id, attempt: 1, status: "completed", worker: "w1", at: at(0) },
    ]);
    const { status, html } = await t.page(`/tasks/${task.id.toUpperCase()}`);
    expect(status).toBe(200);
    for (const text of ["nightly", "echo hi", task.id, "reports", "REGION", "eu", "nightly-1", ">1 min<", "1 of at most 4", "1.0 s × 2 per retry, at most 1 h"]) {
      expect(html).toContain(text);
    }
    expect([...html.matchAll(/class="timeline-item timeline-(\w+)"/g)].map((m) => m[1])).toEqual(["created", "scheduled", "picked", "running", "completed"]);
    expect(html).toContain("+1.0 s");
    expect(html).toContain("+1.5 s");
    expect(html).toContain("hi\nthere\n</pre>");
    expect(html).toContain("ran 1.5 s");
    expect(html).toMatch(/class="button danger" disabled/);
    expect(html).toMatch(/<button type="submit" class="button" disabled title="Only failed or cancelled tasks can be retried">/);
    expect(html).toContain(`sse-connect="/live/tasks/${task.id}?after=`);

    const scheduled = await insertTask(t.db, { status: "scheduled" });
    const live = (await t.page(`/tasks/${scheduled.id}`)).html;
    expect(live).toMatch(/<button type="submit" class="button danger" title="Stop it/);
    expect(live).toContain("Not attempted yet.");
  });

  test("unknown and malformed task ids are a 404 page", async () => {
    for (const id of ["00000000-0000-4000-8000-000000000000", "nope", "%3Cscript%3E"]) {
      const { status, html } = await t.page(`/tasks/${id}`);
      expect(status).toBe(404);
      expect(html).toContain("Not found");
      expect(html).not.toContain("<script>");
    }
  });

  test("placement: labels on the workers page; selector, labels, warning and children on a task's page (docs/placement.md)", async () => {
    await registerWorker(t.db, { name: "db-1", labels: { role: "db", "<x>": "<script>alert(7)</script>" } });
    expect((await t.page("/workers")).html).toContain(">role=db<");
    expect((await t.page("/workers")).html).not.toContain("<script>alert(7)");
    const lonely = await insertTask(t.db, { selector: { role: "gpu" }, labels: { team: "ml" } });
    const page = (await t.page(`/tasks/${lonely.id}`)).html;
    expect(page).toContain(">role=gpu<");
    expect(page).toContain(">team=ml<");
    expect(page).toContain('class="waiting-reason warn" role="alert"');
    expect(page).toContain("no live worker serving queue default matches selector role=gpu");
    const parent = await insertTask(t.db, { name: "rotate", fanout: "all", blockedBy: 2 });
    await insertTask(t.db, { name: "rotate on db-1", parentId: parent.id, pinnedWorker: "db-1", status: "completed" });
    await insertTask(t.db, { name: "rotate on db-2", parentId: parent.id, pinnedWorker: "db-2" });
    const parentPage = (await t.page(`/tasks/${parent.id}`)).html;
    expect(parentPage).toContain('id="h-children"');
    expect(parentPage).toContain('data-worker="db-1"');
    expect(parentPage).toContain('data-worker="db-2"');
  });

  test("the workers page lists sessions with status, heartbeat, load, queues, version and uptime", async () => {
    await registerWorker(t.db, { name: "alpha", host: "box-1", queues: ["default", "mail"], concurrency: 4, version: "9.9.9" });
    await registerWorker(t.db, { name: "solo", concurrency: 1 });
    const { html } = await t.page("/workers");
    for (const text of ["alpha", "box-1", "badge-alive", "0 / 4", ">mail<", "9.9.9", 'data-rel="age"', 'title="0 of 4 slots busy"', 'title="0 of 1 slot busy"']) expect(html).toContain(text);
    expect(html).toContain('sse-swap="workers"');
  });

  test("a worker's row links the tasks it runs", async () => {
    const worker = await registerWorker(t.db, { name: "busy", concurrency: 2 });
    const task = await insertTask(t.db, { name: "<b>nightly</b> build", status: "running", workerId: worker, worker: "busy", startedAt: new Date() });
    await t.db.execute(sql`update workers set running = 1 where id = ${worker}`);
    const { html } = await t.page("/workers");
    expect(html).toContain(`<ul class="worker-tasks"><li><a href="/tasks/${task.id}" class="task-name" title="running: ${task.id}">&lt;b&gt;nightly&lt;/b&gt; build</a></li></ul>`);
  });

  test("embedded assets are served with their types and long caching", async () => {
    for (const [url, type] of [
      [ASSET_URLS.htmx, "text/javascript"],
      [ASSET_URLS.htmxSse, "text/javascript"],
      [ASSET_URLS.liveTimes, "text/javascript"],
      [ASSET_URLS.stylesheet, "text/css"],
      [ASSET_URLS.icon, "image/svg+xml"],
    ] as const) {
      const res = await t.fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toStartWith(type);
      expect(res.headers.get("cache-control")).toContain("max-age=86400");
      expect((await res.text()).length).toBeGreaterThan(100);
    }
    expect(await (await t.fetch(ASSET_URLS.htmx)).text()).toContain("2.0.11");
  });
});

describeEachBackend("dashboard pages with --token", (backend) => {
  let t: SchedulerTestApp;
  beforeAll(async () => {
    t = await SchedulerTestApp.open(backend, ["--token=s3cret-token-0123456789"]);
  });
  afterAll(() => t.close());

  test("pages and streams need the sign-in; signed-in pages offer a sign-out", async () => {
    const page = await t.fetch("/tasks", { headers: { accept: "text/html" } });
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/login?next=%2Ftasks");
    expect((await t.fetch("/live/overview", { headers: { accept: "text/event-stream" } })).status).toBe(401);
    // Assets stay public: the sign-in page uses the stylesheet.
    expect((await t.fetch(ASSET_URLS.stylesheet)).status).toBe(200);
    const signedIn = await t.fetch("/tasks", { headers: { authorization: "Bearer s3cret-token-0123456789" } });
    expect(signedIn.status).toBe(200);
    expect(await signedIn.text()).toContain('<form method="post" action="/logout" class="sign-out">');
  });
});
