import { afterAll, beforeAll, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { describeEachBackend } from "../../../test/support/databases.ts";
import { insertTask } from "../../../test/support/factories.ts";
import { tasks } from "../../db/schema/index.ts";
import { SchedulerTestApp } from "../../../test/support/scheduler-app.ts";

const valid = { name: "hello", command: "echo hello", queue: "default", priority: "0", when: "now", max_retries: "3", backoff_ms: "1000", backoff_factor: "2", backoff_max_ms: "3600000" };

describeEachBackend("dashboard forms", (backend) => {
  let t: SchedulerTestApp;
  beforeAll(async () => {
    t = await SchedulerTestApp.open(backend);
  });
  afterAll(() => t.close());

  test("the new-task form shows every field with the API's defaults", async () => {
    const { status, html } = await t.page("/tasks/new");
    expect(status).toBe(200);
    for (const name of ["name", "command", "queue", "priority", "when", "run_at", "tz_offset", "delay_amount", "delay_unit", "max_retries", "backoff_ms", "backoff_factor", "backoff_max_ms", "timeout_ms", "env", "idempotency_key"]) {
      expect(html).toContain(`name="${name}"`);
    }
    expect(html).toContain('id="f-queue" name="queue" value="default"');
    expect(html).toContain('id="f-max_retries" name="max_retries" value="3"');
    expect(html).toMatch(/value="now" id="when-now" checked/);
    expect(html).toContain("novalidate");
  });

  test("an empty command comes back with the error beside the command field and the other values kept", async () => {
    const res = await t.postForm("/tasks", { ...valid, name: `a "quoted" & <odd> name`, command: "" });
    expect(res.status).toBe(422);
    const html = await res.text();
    const commandField = /<div class="form-field full has-error">.*?<\/div>/s.exec(html)?.[0] ?? "";
    expect(commandField).toContain('for="f-command"');
    expect(commandField).toContain('<p class="field-error" id="f-command-error">must be a non-empty string of at most 65536 bytes (UTF-8)</p>');
    expect(html).toContain('aria-describedby="f-command-hint f-command-error" aria-invalid="true"');
    // The name comes back exactly as typed (quotes, ampersand and brackets escaped in the attribute).
    expect(html).toContain('value="a &#34;quoted&#34; &amp; &lt;odd&gt; name"');
    expect(html.match(/class="field-error"/g)).toHaveLength(1);
    expect(await t.db.select().from(tasks).where(eq(tasks.name, `a "quoted" & <odd> name`))).toEqual([]);
  });

  test("several bad fields are each named beside their field", async () => {
    const res = await t.postForm("/tasks", { ...valid, priority: "high", when: "at", run_at: "", env: "oops" });
    const html = await res.text();
    expect(res.status).toBe(422);
    expect(html).toContain('id="f-priority-error">must be an integer from -100 to 100<');
    expect(html).toContain('id="f-run_at-error">must be an ISO-8601 time with a time zone');
    expect(html).toContain('id="f-env-error">line 1: write NAME=value<');
    expect(html).toMatch(/value="at" id="when-at" checked/);
  });

  test("a valid submit creates the task with every field and redirects to its page", async () => {
    const res = await t.postForm("/tasks", {
      ...valid,
      name: "report",
      command: "echo one\r\necho two",
      queue: "reports",
      priority: "7",
      when: "delay",
      delay_amount: "2",
      delay_unit: "min",
      max_retries: "5",
      timeout_ms: "30000",
      env: "A=1\r\nB=two words",
      idempotency_key: "report-1",
    });
    expect(res.status).toBe(303);
    const location = res.headers.get("location")!;
    expect(location).toMatch(/^\/tasks\/[0-9a-f-]{36}$/);
    const [task] = await t.db.select().from(tasks).where(eq(tasks.id, location.slice("/tasks/".length)));
    expect(task).toMatchObject({ name: "report", command: "echo one\necho two", queue: "reports", priority: 7, maxRetries: 5, timeoutMs: 30000, env: { A: "1", B: "two words" }, idempotencyKey: "report-1", status: "scheduled" });
    const delay = task!.runAt.getTime() - task!.createdAt.getTime();
    expect(delay).toBeGreaterThan(119_000);
    expect(delay).toBeLessThan(121_000);
    // The same idempotency key again leads to the first task, as the API answers.
    const again = await t.postForm("/tasks", { ...valid, name: "report again", idempotency_key: "report-1" });
    expect(again.headers.get("location")).toBe(location);
    expect((await t.page(location)).html).toContain("report");
  });

  test("run at a time, in the browser's offset", async () => {
    const res = await t.postForm("/tasks", { ...valid, when: "at", run_at: "2030-01-31T12:00", tz_offset: "60" });
    const [task] = await t.db.select().from(tasks).where(eq(tasks.id, res.headers.get("location")!.slice(7)));
    expect(task!.runAt.toISOString()).toBe("2030-01-31T11:00:00.000Z");
  });

  test("cancel and retry follow the API's rules; a refused one shows why on the task's page", async () => {
    const task = await insertTask(t.db, { status: "scheduled" });
    const cancel = await t.postForm(`/tasks/${task.id}/cancel`, {});
    expect(cancel.status).toBe(303);
    expect(cancel.headers.get("location")).toBe(`/tasks/${task.id}`);
    expect((await t.db.select().from(tasks).where(eq(tasks.id, task.id)))[0]!.status).toBe("cancelled");

    const again = await t.postForm(`/tasks/${task.id}/cancel`, {});
    expect(again.status).toBe(409);
    expect(await again.text()).toMatch(/<p class="notice" role="alert">task [0-9a-f-]+ is already cancelled<\/p>/);

    const retry = await t.postForm(`/tasks/${task.id}/retry`, {});
    expect(retry.status).toBe(303);
    expect((await t.db.select().from(tasks).where(eq(tasks.id, task.id)))[0]!.status).toBe("scheduled");
    expect((await t.postForm(`/tasks/${task.id}/retry`, {})).status).toBe(409);
    expect((await t.postForm("/tasks/00000000-0000-4000-8000-000000000000/cancel", {})).status).toBe(404);
    expect((await t.postForm("/tasks/x/retry", {})).status).toBe(404);
  });

  test("a cross-site form post is refused before it does anything", async () => {
    const task = await insertTask(t.db, { status: "scheduled" });
    const crossSite: Record<string, string>[] = [{ "sec-fetch-site": "cross-site" }, { origin: "https://evil.example" }];
    for (const headers of crossSite) {
      const res = await t.fetch(`/tasks/${task.id}/cancel`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers } });
      expect(res.status).toBe(403);
      const submit = await t.fetch("/tasks", { method: "POST", body: new URLSearchParams(valid), headers: { "content-type": "application/x-www-form-urlencoded", ...headers } });
      expect(submit.status).toBe(403);
    }
    expect((await t.db.select().from(tasks).where(eq(tasks.id, task.id)))[0]!.status).toBe("scheduled");
    const same = await t.fetch(`/tasks/${task.id}/cancel`, { method: "POST", headers: { "sec-fetch-site": "same-origin", origin: "http://localhost" } });
    expect(same.status).toBe(303);
  });
});
