/**
 * The dashboard's action routes answer two kinds of request: a plain form (no
 * JavaScript) gets a page or a redirect, and the same form sent by htmx
 * (HX-Request: true) gets the fragment it swaps in place: the confirmation, the
 * result, or why it was refused.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { describeEachBackend } from "../../../test/support/databases.ts";
import { insertTask, registerWorker } from "../../../test/support/factories.ts";
import { tasks, workers } from "../../db/schema/index.ts";
import { SchedulerTestApp } from "../../../test/support/scheduler-app.ts";

const HX = { "hx-request": "true" };
const FORM = { "content-type": "application/x-www-form-urlencoded" };

describeEachBackend("dashboard actions, plain and htmx", (backend) => {
  let t: SchedulerTestApp;
  beforeAll(async () => {
    t = await SchedulerTestApp.open(backend);
  });
  afterAll(() => t.close());
  beforeEach(() => t.reset());

  const hxGet = (path: string) => t.fetch(path, { headers: HX });
  const hxPost = (path: string, fields: Record<string, string> = {}) => t.fetch(path, { method: "POST", body: new URLSearchParams(fields), headers: { ...FORM, ...HX } });
  const statusOf = async (id: string) => (await t.db.select().from(tasks).where(eq(tasks.id, id)))[0]!.status;

  test("pages carry the panels the enhanced forms swap into", async () => {
    const list = (await t.page("/tasks")).html;
    expect(list).toContain('<form class="bulk-actions" method="get" action="/tasks/bulk" hx-get="/tasks/bulk" hx-target="#bulk-panel" hx-swap="innerHTML">');
    expect(list).toContain('<div id="bulk-panel" class="action-panel" aria-live="polite"></div>');
    expect((await t.page("/failures")).html).toContain('id="bulk-panel"');
    const task = await insertTask(t.db, { status: "scheduled" });
    const page = (await t.page(`/tasks/${task.id}`)).html;
    expect(page).toContain(`hx-post="/tasks/${task.id}/cancel" hx-target="#task-action-panel"`);
    expect(page).toContain('<div id="task-action-panel" class="action-panel" aria-live="polite"></div>');
    expect((await t.page("/workers")).html).toContain('id="worker-notice"');
  });

  test("bulk cancel: the confirmation and the result are fragments for htmx, a page and a redirect without", async () => {
    for (let i = 0; i < 2; i++) await insertTask(t.db, { name: `later-${i}`, status: "scheduled" });
    const plain = await t.page("/tasks/bulk?action=cancel&q=later-");
    expect(plain.html).toStartWith("<!doctype html>");
    expect(plain.html).toContain('<h1 class="bulk-title">Cancel 2 tasks?</h1>');

    const confirm = await hxGet("/tasks/bulk?action=cancel&q=later-");
    expect(confirm.status).toBe(200);
    expect(confirm.headers.get("vary")).toBe("HX-Request");
    const fragment = await confirm.text();
    expect(fragment).toStartWith('<section class="panel bulk-confirm">');
    expect(fragment).not.toContain("<html");
    expect(fragment).toContain('<h2 class="bulk-title">Cancel 2 tasks?</h2>');
    expect(fragment).toContain('hx-post="/tasks/bulk" hx-target="closest .action-panel"');

    const done = await hxPost("/tasks/bulk", { action: "cancel", q: "later-" });
    expect(done.status).toBe(200);
    expect(await done.text()).toBe('<p class="notice" role="status">2 tasks cancelled.</p>');
    expect((await t.db.select().from(tasks).where(eq(tasks.status, "cancelled"))).length).toBe(2);

    await insertTask(t.db, { name: "later-2", status: "scheduled" });
    const redirect = await t.postForm("/tasks/bulk", { action: "cancel", q: "later-" });
    expect(redirect.status).toBe(303);
    expect(redirect.headers.get("location")).toBe("/tasks?q=later-&bulk=cancel&changed=1");

    const bad = await hxGet("/tasks/bulk?action=delete");
    expect(bad.status).toBe(422);
    expect(await bad.text()).toBe('<p class="error-box action-refused" role="alert">action must be cancel or retry</p>');
  });

  test("cancel of a running task: htmx gets the question, then the result; a finished one says why not (409)", async () => {
    const task = await insertTask(t.db, { name: "busy", status: "running", attempt: 1, worker: "w1" });
    const asked = await hxPost(`/tasks/${task.id}/cancel`);
    const question = await asked.text();
    expect(question).toStartWith('<section class="panel bulk-confirm cancel-confirm"><h2 class="bulk-title">Cancel a running task?</h2>');
    expect(question).toContain(`hx-post="/tasks/${task.id}/cancel" hx-target="closest .action-panel"`);
    expect(await statusOf(task.id)).toBe("running");

    const done = await hxPost(`/tasks/${task.id}/cancel`, { confirm: "1" });
    expect(await done.text()).toBe('<p class="notice action-done" role="status">Cancelled busy.</p>');
    expect(await statusOf(task.id)).toBe("cancelled");

    const again = await hxPost(`/tasks/${task.id}/cancel`);
    expect(again.status).toBe(409);
    expect(await again.text()).toMatch(/^<p class="error-box action-refused" role="alert">task [0-9a-f-]+ is already cancelled<\/p>$/);

    const retried = await hxPost(`/tasks/${task.id}/retry`);
    expect(await retried.text()).toBe('<p class="notice action-done" role="status">Retried busy: manual retry #1, a fresh budget of 4 attempts.</p>');
    expect(await statusOf(task.id)).toBe("scheduled");
    expect((await hxPost("/tasks/00000000-0000-4000-8000-000000000000/retry")).status).toBe(404);

    // Without htmx: the question is a page of its own.
    const running = await insertTask(t.db, { name: "busy too", status: "running", attempt: 1, worker: "w1" });
    const page = await t.postForm(`/tasks/${running.id}/cancel`, {});
    expect(await page.text()).toContain('<h1 class="bulk-title">Cancel a running task?</h1>');
  });

  test("drain and resume: htmx gets the result and the worker's new row (out of band); a plain form is redirected", async () => {
    const id = await registerWorker(t.db, { name: "box-1" });
    const drained = await hxPost(`/workers/${id}/drain`);
    const html = await drained.text();
    expect(html).toStartWith('<p class="notice action-done" role="status">box-1 is draining: it takes no new tasks, and its running tasks finish.</p><template><tr id="worker-');
    expect(html).toContain('hx-swap-oob="true"');
    expect(html).toContain("badge-draining");
    expect(html).toContain(`action="/workers/${id}/resume"`);
    expect((await t.db.select().from(workers).where(eq(workers.id, id)))[0]!.status).toBe("draining");

    const resumed = await t.postForm(`/workers/${id}/resume`, {});
    expect(resumed.status).toBe(303);
    expect(resumed.headers.get("location")).toBe(`/workers#worker-${id}`);
    expect((await t.db.select().from(workers).where(eq(workers.id, id)))[0]!.status).toBe("alive");
    expect((await hxPost("/workers/00000000-0000-4000-8000-000000000000/drain")).status).toBe(404);
  });
});
