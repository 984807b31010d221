/** The dashboard's Webhooks pages through app.handle(), on each backend: the list, escaping, deliveries with attempts, enable/disable. */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { describeEachBackend } from "../../../test/support/databases.ts";
import { insertTask } from "../../../test/support/factories.ts";
import { insertWebhook, type NewWebhook } from "../../db/queries/insert-webhook.ts";
import { getWebhook } from "../../db/queries/list-webhooks.ts";
import { recordTransitions } from "../../db/queries/record-transitions.ts";
import { SchedulerTestApp as DashboardTestApp } from "../../../test/support/scheduler-app.ts";

describeEachBackend("dashboard webhook pages", (backend) => {
  let t: DashboardTestApp;
  beforeAll(async () => {
    t = await DashboardTestApp.open(backend);
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.db.execute(sql`truncate tasks, task_events, webhooks, webhook_deliveries cascade`);
  });

  const hook = (o: Partial<NewWebhook> = {}) =>
    insertWebhook(t.db, { url: "http://93.184.215.14/hook?<script>alert(1)</script>", events: ["task.failed"], queue: "io", namePrefix: null, scheduleId: null, secret: "s", format: "slack", enabled: true, ...o });

  test("the list: URL (escaped), events, filter, delivery counts, state, actions; an empty list explains the API", async () => {
    expect((await t.page("/webhooks")).html).toContain("No webhooks yet. Register one with <code>POST /api/webhooks</code>");
    const w = await hook();
    const { status, html } = await t.page("/webhooks");
    expect(status).toBe(200);
    expect(html).toContain('<a href="/webhooks" aria-current="page">Webhooks</a>');
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    for (const text of ["task.failed", "queue io", "Slack format, signed", "none yet", "0 pending, 0 given up", "badge-enabled", `action="/webhooks/${w.id}/disable"`, `href="/webhooks/${w.id}"`]) {
      expect(html).toContain(text);
    }
  });

  test("a webhook's deliveries with each attempt: status code, error, the receiver's answer (escaped)", async () => {
    const w = await hook({ queue: null });
    const task = await insertTask(t.db, { name: "nightly <b>export</b>", status: "failed", attempt: 1 });
    await recordTransitions(t.db, [{ taskId: task.id, attempt: 1, status: "failed" }]);
    await t.db.execute(sql`update webhook_deliveries set attempts = 1, next_attempt_at = now() + interval '10 seconds'`);
    await t.db.execute(sql`insert into webhook_delivery_attempts (delivery_id, attempt, started_at, duration_ms, status_code, error, response_snippet)
      select id, 1, now(), 42, 500, 'the receiver answered 500', '<h1>oops</h1>' from webhook_deliveries`);
    const { status, html } = await t.page(`/webhooks/${w.id}`);
    expect(status).toBe(200);
    expect(html).toContain(`href="/tasks/${task.id}"`);
    expect(html).toContain("nightly &lt;b&gt;export&lt;/b&gt;");
    expect(html).toContain("500 in 42 ms: the receiver answered 500");
    expect(html).toContain("&lt;h1&gt;oops&lt;/h1&gt;");
    expect(html).toContain('<span class="badge badge-pending">pending</span>');
    expect(html).toContain("next try");
    expect((await t.page(`/webhooks/${crypto.randomUUID()}`)).status).toBe(404);
    expect((await t.page("/webhooks/nope")).status).toBe(404);
  });

  test("disable and enable are form posts that redirect to the list", async () => {
    const w = await hook();
    const off = await t.postForm(`/webhooks/${w.id}/disable`, {});
    expect(off.status).toBe(303);
    expect(off.headers.get("location")).toBe(`/webhooks#webhook-${w.id}`);
    expect((await getWebhook(t.db, w.id))!.enabled).toBe(false);
    expect((await t.page("/webhooks")).html).toContain(`action="/webhooks/${w.id}/enable"`);
    await t.postForm(`/webhooks/${w.id}/enable`, {});
    expect((await getWebhook(t.db, w.id))!.enabled).toBe(true);
    expect((await t.postForm(`/webhooks/${crypto.randomUUID()}/enable`, {})).status).toBe(404);
  });
});
