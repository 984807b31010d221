/** The dashboard's schedule pages and forms through app.handle(), on each backend: list, escaping, create form, pause/resume, the tasks link. */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { describeEachBackend } from "../../../test/support/databases.ts";
import { insertTask } from "../../../test/support/factories.ts";
import { insertSchedule, type NewSchedule } from "../../db/queries/insert-schedule.ts";
import { tickDueSchedules } from "../../db/queries/tick-schedules.ts";
import { schedules } from "../../db/schema/index.ts";
import { SchedulerTestApp } from "../../../test/support/scheduler-app.ts";

const TEMPLATE = { command: "backup.sh", env: {}, queue: "default", priority: 0, max_retries: 3, backoff_ms: 1000, backoff_factor: 2, backoff_max_ms: 3_600_000, timeout_ms: null };
const form = { name: "nightly backup", cron: "0 3 * * *", timezone: "UTC", command: "backup.sh", queue: "default", priority: "0", max_retries: "3", timeout_ms: "", env: "" };

describeEachBackend("dashboard schedule pages", (backend) => {
  let t: SchedulerTestApp;
  beforeAll(async () => {
    t = await SchedulerTestApp.open(backend);
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.db.execute(sql`truncate tasks, task_attempts, task_output_chunks, task_events, schedules`);
  });

  const create = async (s: Partial<NewSchedule> = {}) =>
    (await insertSchedule(t.db, { name: "nightly", cron: "0 3 * * *", timezone: "UTC", template: TEMPLATE, paused: false, overlap: "allow", catchUp: "latest", catchUpMax: 10, ...s })).schedule;
  /** Makes the schedule due now and ticks it: its task is made and it becomes the last run. */
  const tick = async (id: string) => {
    await t.db.update(schedules).set({ nextRunAt: sql`now() - interval '1 second'` as unknown as Date }).where(eq(schedules.id, id));
    const batch = await tickDueSchedules(t.db, 10);
    return batch.ticks.find((k) => k.scheduleId === id)!;
  };
  const row = (html: string, id: string) => new RegExp(`<tr id="schedule-${id}".*?</tr>`, "s").exec(html)?.[0] ?? "";

  test("the list: name, cron and time zone, next run, last run with its task's status, state, actions, and a live stream", async () => {
    const active = await create({ name: "every ten seconds", cron: "*/10 * * * * *", timezone: "Europe/Berlin" });
    const paused = await create({ name: "paused one", paused: true });
    const ran = await tick(active.id);
    const { status, html } = await t.page("/schedules");
    expect(status).toBe(200);
    expect(html).toContain('<a href="/schedules" aria-current="page">Schedules</a>');
    expect(html).toContain('sse-connect="/live/schedules"');
    expect(html).toContain('<tbody id="schedule-rows" sse-swap="schedules">');
    const a = row(html, active.id);
    for (const text of ["every ten seconds", "*/10 * * * * *", "Europe/Berlin", "backup.sh", "badge-active", ">Pause<", `action="/schedules/${active.id}/pause"`]) expect(a).toContain(text);
    expect(a).toContain(`href="/tasks?schedule_id=${active.id}"`);
    // Next and last run: relative (ticking in the browser) and absolute.
    expect(a.match(/data-rel="ago"/g)).toHaveLength(1);
    expect(a.match(/data-rel="until"/g)).toHaveLength(1);
    expect(a.match(/<small class="abs" data-abs="[^"]+">\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC<\/small>/g)).toHaveLength(2);
    expect(a).toContain(`<a href="/tasks/${ran.taskId}" class="badge-link"`);
    expect(a).toContain('<span class="badge badge-scheduled">scheduled</span>');
    const p = row(html, paused.id);
    for (const text of ["badge-paused", ">Resume<", `action="/schedules/${paused.id}/resume"`, '<span class="muted">paused</span>', "not yet"]) expect(p).toContain(text);
    // Sorted by name, as the API lists them.
    expect(html.indexOf(`schedule-${active.id}`)).toBeLessThan(html.indexOf(`schedule-${paused.id}`));
  });

  test("no schedules: an invitation to create one", async () => {
    const { html } = await t.page("/schedules");
    expect(html).toContain('No schedules yet. <a href="/schedules/new">Create one</a>');
  });

  test("user text is escaped: a <script> name, command and time zone", async () => {
    const s = await create({ name: `<script>alert("name")</script>`, template: { ...TEMPLATE, command: `echo "<img src=x onerror=alert(1)>"` } });
    // Stored values are never trusted by the views, even ones the API would refuse.
    await t.db.update(schedules).set({ timezone: "<i>zone</i>", cron: "<b>* * * * *</b>" }).where(eq(schedules.id, s.id));
    await insertTask(t.db, { scheduleId: s.id, name: `<script>alert("task")</script>` });
    for (const path of ["/schedules", `/tasks?schedule=${s.id}`]) {
      const { html } = await t.page(path);
      expect(html).not.toMatch(/<script>alert|<img src=x|<i>zone|<b>\*/);
      expect(html).toContain("&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;");
    }
    const list = (await t.page("/schedules")).html;
    expect(list).toContain("echo &quot;&lt;img src=x onerror=alert(1)&gt;&quot;");
    expect(list).toContain("&lt;i&gt;zone&lt;/i&gt;");
  });

  test("the new-schedule form shows its fields with the API's defaults", async () => {
    const { status, html } = await t.page("/schedules/new");
    expect(status).toBe(200);
    for (const name of ["name", "cron", "timezone", "command", "queue", "priority", "max_retries", "timeout_ms", "env"]) expect(html).toContain(`name="${name}"`);
    expect(html).toContain('id="f-timezone" name="timezone" value="UTC"');
    expect(html).toContain('id="f-queue" name="queue" value="default"');
    expect(html).toContain('<option value="Europe/Berlin">');
    expect(html).toContain('action="/schedules" novalidate');
  });

  test("a refused form names each problem beside its field and keeps the values", async () => {
    const res = await t.postForm("/schedules", { ...form, name: `a "quoted" & <odd> name`, cron: "61 * * * *", timezone: "Mars/Olympus", command: "", priority: "high", env: "oops" });
    expect(res.status).toBe(422);
    const html = await res.text();
    const error = (field: string) => new RegExp(`<p class="field-error" id="f-${field}-error">([^<]*)</p>`).exec(html)?.[1];
    expect(error("cron")).toContain("is not a valid cron expression");
    expect(error("timezone")).toBe("&quot;Mars/Olympus&quot; is not a known IANA time zone, like UTC or Europe/Berlin");
    expect(error("command")).toContain("must be a non-empty string");
    expect(error("priority")).toBe("must be an integer from -100 to 100");
    expect(error("env")).toBe("line 1: write NAME=value");
    expect(html.match(/class="field-error"/g)).toHaveLength(5);
    // Each error sits inside its own field's box, described by it for screen readers.
    expect(/<div class="form-field has-error"><label for="f-cron">.*?<\/div>/s.exec(html)?.[0]).toContain('id="f-cron-error"');
    expect(html).toContain('aria-describedby="f-cron-hint f-cron-error" aria-invalid="true"');
    expect(html).toContain('value="a &#34;quoted&#34; &amp; &lt;odd&gt; name"');
    expect(html).toContain('value="61 * * * *"');
    expect(await t.db.select().from(schedules)).toEqual([]);
    // Env problems from the task rules (a bad variable name) land beside the env field too.
    const badEnv = await (await t.postForm("/schedules", { ...form, env: "1BAD=x" })).text();
    expect(badEnv).toMatch(/id="f-env-error">1BAD: /);
  });

  test("a valid form creates the schedule with its template and redirects to its row", async () => {
    const res = await t.postForm("/schedules", { ...form, timezone: "america/new_york", command: "pg_dump\r\nsync", queue: "ops", priority: "5", max_retries: "0", timeout_ms: "60000", env: "A=1\r\nB=two words" });
    expect(res.status).toBe(303);
    const [s] = await t.db.select().from(schedules);
    expect(res.headers.get("location")).toBe(`/schedules#schedule-${s!.id}`);
    expect(s).toMatchObject({ name: "nightly backup", cron: "0 3 * * *", timezone: "America/New_York", paused: false });
    expect(s!.template).toEqual({ ...TEMPLATE, command: "pg_dump\nsync", queue: "ops", priority: 5, max_retries: 0, timeout_ms: 60000, env: { A: "1", B: "two words" } });
    expect(s!.nextRunAt).not.toBeNull();
    // An empty time zone means UTC, like leaving it out of the API's JSON.
    await t.postForm("/schedules", { ...form, name: "utc", timezone: "" });
    expect((await t.db.select().from(schedules).where(eq(schedules.name, "utc")))[0]!.timezone).toBe("UTC");
  });

  test("pause and resume posts change the row; unknown ids are a 404 page", async () => {
    const s = await create({ cron: "* * * * * *" });
    const pause = await t.postForm(`/schedules/${s.id}/pause`, {});
    expect(pause.status).toBe(303);
    expect(pause.headers.get("location")).toBe(`/schedules#schedule-${s.id}`);
    const paused = row((await t.page("/schedules")).html, s.id);
    expect(paused).toContain('<span class="badge badge-paused">paused</span>');
    expect(paused).toContain(`action="/schedules/${s.id}/resume"`);
    expect((await t.db.select().from(schedules))[0]).toMatchObject({ paused: true, nextRunAt: null });

    expect((await t.postForm(`/schedules/${s.id.toUpperCase()}/resume`, {})).status).toBe(303);
    const resumed = row((await t.page("/schedules")).html, s.id);
    expect(resumed).toContain('<span class="badge badge-active">active</span>');
    expect(resumed).toContain(">Pause<");
    expect((await t.db.select().from(schedules))[0]!.nextRunAt).not.toBeNull();

    for (const id of ["00000000-0000-4000-8000-000000000000", "nope"]) {
      const res = await t.postForm(`/schedules/${id}/pause`, {});
      expect(res.status).toBe(404);
      expect(await res.text()).toContain("There is no schedule with id");
    }
  });

  test("a cross-site pause or create is refused before it does anything", async () => {
    const s = await create();
    for (const headers of [{ "sec-fetch-site": "cross-site" }, { origin: "https://evil.example" }] as Record<string, string>[]) {
      const init = { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers } };
      expect((await t.fetch(`/schedules/${s.id}/pause`, init)).status).toBe(403);
      expect((await t.fetch("/schedules", { ...init, body: new URLSearchParams(form) })).status).toBe(403);
    }
    expect((await t.db.select().from(schedules)).map((x) => x.paused)).toEqual([false]);
  });

  test("each schedule's tasks link filters the task list, keeps the filter across its form and stream, and names the schedule", async () => {
    const s = await create({ name: "hourly <sync>" });
    const other = await create({ name: "other" });
    const mine = await tick(s.id);
    await tick(other.id);
    await insertTask(t.db, { name: "not scheduled" });
    const { status, html } = await t.page(`/tasks?schedule=${s.id}`);
    expect(status).toBe(200);
    expect([...html.matchAll(/<tr id="task-([0-9a-f-]{36})"/g)].map((m) => m[1])).toEqual([mine.taskId]);
    expect(html).toContain(`<input type="hidden" name="schedule_id" value="${s.id}"/>`);
    expect(html).toContain("hourly &lt;sync&gt;");
    expect(html).toMatch(new RegExp(`sse-connect="/live/tasks\\?schedule_id=${s.id}&after=`));
    // The task's page links back to the schedule's tasks.
    expect((await t.page(`/tasks/${mine.taskId}`)).html).toContain(`href="/tasks?schedule_id=${s.id}"`);
    const bad = await t.page("/tasks?schedule=nope");
    expect(bad.status).toBe(422);
    expect(bad.html).toContain("schedule: must be a schedule id (a UUID)");
  });
});
