/**
 * The sender against a real receiver (Bun.serve on loopback, allowed as the tests'
 * --webhook-allow-private would) and a real database: signatures, retries with growing
 * gaps, the address guard at send time, redirects, time limits, lease takeover.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { describeEachBackend, openTestDatabase, type TestDatabase } from "../../../test/support/databases.ts";
import { insertTask } from "../../../test/support/factories.ts";
import { waitFor } from "../../../test/support/processes.ts";
import { claimWebhookDeliveries } from "../../db/queries/claim-webhook-deliveries.ts";
import { insertWebhook, type NewWebhook } from "../../db/queries/insert-webhook.ts";
import { listWebhookDeliveries } from "../../db/queries/list-webhook-deliveries.ts";
import { recordTransitions } from "../../db/queries/record-transitions.ts";
import { roleLogger } from "../../log/logger.ts";
import { pinnedRequest, sendWebhook } from "./send-webhook.ts";
import { verifyWebhook } from "./signature.ts";
import { WebhookSender, type WebhookSenderOptions } from "./webhook-sender.ts";

interface Received {
  at: number;
  path: string;
  headers: Headers;
  body: string;
}

describeEachBackend("webhook sender", (backend) => {
  let d: TestDatabase;
  let server: ReturnType<typeof Bun.serve>;
  let received: Received[] = [];
  /** What the receiver answers to request n (0-based); default 200. */
  let answer: (n: number, req: Request) => Response | Promise<Response> = () => new Response("thanks");
  const base = () => `http://127.0.0.1:${server.port}`;

  beforeAll(async () => {
    d = await openTestDatabase(backend);
    server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async (req) => {
        const n = received.length;
        received.push({ at: Date.now(), path: new URL(req.url).pathname, headers: req.headers, body: await req.text() });
        return answer(n, req);
      },
    });
  });
  afterAll(async () => {
    server.stop(true);
    await d.close();
  });
  beforeEach(async () => {
    received = [];
    answer = () => new Response("thanks");
    await d.db.execute(sql`truncate tasks, task_events, webhooks, webhook_deliveries cascade`);
  });

  const log = roleLogger("coordinator", "test");
  const sender = (o: Partial<WebhookSenderOptions> = {}) =>
    new WebhookSender(d.db, log, { allowPrivate: true, backoff: { baseMs: 100, maxMs: 10_000, windowMs: 60_000 }, ...o });
  const hook = (o: Partial<NewWebhook> = {}) =>
    insertWebhook(d.db, { url: `${base()}/hook`, events: ["task.failed"], queue: null, namePrefix: null, scheduleId: null, secret: null, format: "json", enabled: true, ...o });
  /** A task that failed for good, recorded the way every transition is (the trigger writes the delivery). */
  async function failTask(name = "backup") {
    const t = await insertTask(d.db, { name, status: "failed", attempt: 4, exitCode: 1, error: "exit code 1" });
    await recordTransitions(d.db, [{ taskId: t.id, attempt: 4, status: "failed", message: "attempt 4 failed, no retries left" }]);
    return t;
  }
  const deliveriesOf = (webhookId: string) => listWebhookDeliveries(d.db, webhookId, { limit: 10 });

  test("delivers once, signed over timestamp.body, with the delivery id in the body and headers", async () => {
    const h = await hook({ secret: "s3cret" });
    const t = await failTask();
    expect(await sender().runOnce()).toBe(1);
    expect(await sender().runOnce()).toBe(0);
    expect(received).toHaveLength(1);
    const r = received[0]!;
    const ts = Number(r.headers.get("x-taskflow-timestamp"));
    expect(verifyWebhook("s3cret", ts, r.body, r.headers.get("x-taskflow-signature")!)).toBe(true);
    expect(verifyWebhook("wrong", ts, r.body, r.headers.get("x-taskflow-signature")!)).toBe(false);
    expect(verifyWebhook("s3cret", ts, r.body + " ", r.headers.get("x-taskflow-signature")!)).toBe(false);
    const body = JSON.parse(r.body);
    const [delivery] = await deliveriesOf(h.id);
    expect(body).toMatchObject({ id: delivery!.id, event: "task.failed", webhook_id: h.id, task: { id: t.id, name: "backup", status: "failed" } });
    expect(body.text).toContain('task "backup" failed for good after attempt 4 of at most 4');
    expect(r.headers.get("x-taskflow-delivery")).toBe(delivery!.id);
    expect(r.headers.get("x-taskflow-event")).toBe("task.failed");
    expect(delivery).toMatchObject({ status: "delivered", attempts: 1, lastStatusCode: 200 });
    expect(delivery!.attemptLog).toMatchObject([{ attempt: 1, statusCode: 200, error: null, responseSnippet: "thanks" }]);
  });

  test("500 three times then 200: four attempts with growing gaps, each recorded, one success", async () => {
    const h = await hook();
    answer = (n) => new Response(n < 3 ? "boom" : "ok", { status: n < 3 ? 500 : 200 });
    await failTask();
    const s = sender();
    await waitFor("the delivery to succeed", async () => (await s.runOnce(), received.length === 4), 10_000, 20);
    // A delivered delivery is never due again: later passes send nothing more.
    await Bun.sleep(300);
    await s.runOnce();
    expect(received).toHaveLength(4);
    const gaps = [1, 2, 3].map((i) => received[i]!.at - received[i - 1]!.at);
    // Each retry waits at least its doubling backoff (100, 200, 400 ms from the failure it
    // follows). Lower bounds only: on a loaded machine the latency of each pass can
    // exceed the next backoff's growth, so one gap need not be longer than the last.
    expect(gaps[0]!).toBeGreaterThanOrEqual(100);
    expect(gaps[1]!).toBeGreaterThanOrEqual(200);
    expect(gaps[2]!).toBeGreaterThanOrEqual(400);
    const [delivery] = await deliveriesOf(h.id);
    expect(delivery).toMatchObject({ status: "delivered", attempts: 4, lastStatusCode: 200, lastError: null });
    expect(delivery!.attemptLog.map((a) => [a.attempt, a.statusCode, a.responseSnippet])).toEqual([[1, 500, "boom"], [2, 500, "boom"], [3, 500, "boom"], [4, 200, "ok"]]);
    expect(delivery!.attemptLog[0]!.error).toBe("the receiver answered 500");
    // Every attempt carries the same delivery id, so a receiver can tell a retry from a new event.
    expect(new Set(received.map((r) => JSON.parse(r.body).id)).size).toBe(1);
  });

  test("gives up once the retry window has passed: failed, with the last error", async () => {
    const h = await hook();
    answer = () => new Response("nope", { status: 503 });
    await failTask();
    const s = sender({ backoff: { baseMs: 50, maxMs: 50, windowMs: 120 } });
    await waitFor("the delivery to be given up", async () => (await s.runOnce(), (await deliveriesOf(h.id))[0]!.status === "failed"), 10_000, 20);
    const [delivery] = await deliveriesOf(h.id);
    expect(delivery!.lastError).toBe("the receiver answered 503");
    expect(delivery!.finishedAt).not.toBeNull();
    expect(delivery!.attemptLog.length).toBe(delivery!.attempts);
  });

  test("without --webhook-allow-private, a loopback target is refused at send time and nothing is sent", async () => {
    const h = await hook();
    await failTask();
    await sender({ allowPrivate: false }).runOnce();
    expect(received).toHaveLength(0);
    const [delivery] = await deliveriesOf(h.id);
    expect(delivery!.status).toBe("pending");
    expect(delivery!.lastError).toMatch(/^URL refused: .*127\.0\.0\.1.*--webhook-allow-private/);
  });

  test("plain http goes to the address the check approved, named in Host; a redirect to a private address is not followed", async () => {
    const seen: { url: string; host: string | null }[] = [];
    const result = await sendWebhook("http://hooks.example.test:8080/hook", {}, "{}", {
      allowPrivate: false,
      // A resolver that would answer 10.0.0.7 the next time (rebinding) never gets the chance: only one lookup is used.
      resolve: async () => ["93.184.215.14"],
      fetch: async (url, init) => {
        seen.push({ url, host: new Headers(init.headers).get("host") });
        return new Response(null, { status: 307, headers: { location: "http://127.0.0.1:9/internal" } });
      },
    });
    expect(seen).toEqual([{ url: "http://93.184.215.14:8080/hook", host: "hooks.example.test:8080" }]);
    expect(result).toMatchObject({ delivered: false, statusCode: null });
    expect(result.error).toMatch(/^redirect to http:\/\/127\.0\.0\.1:9\/internal refused/);
  });

  test("pinnedRequest: http with an approved address is pinned; https, literals and allowed private hosts are not", () => {
    expect(pinnedRequest("http://a.test/x?y=1", "2606:4700::1111")).toEqual({ url: "http://[2606:4700::1111]/x?y=1", host: "a.test" });
    expect(pinnedRequest("https://a.test/x", "93.184.215.14")).toEqual({ url: "https://a.test/x", host: null });
    expect(pinnedRequest("http://93.184.215.14/x", "93.184.215.14")).toEqual({ url: "http://93.184.215.14/x", host: null });
    expect(pinnedRequest("http://a.test/x", null)).toEqual({ url: "http://a.test/x", host: null });
  });

  test("a redirect is followed to an allowed address, checked again", async () => {
    answer = (n) => (n === 0 ? new Response(null, { status: 308, headers: { location: "/moved" } }) : new Response("moved ok"));
    const result = await sendWebhook(`${base()}/hook`, {}, "{}", { allowPrivate: true });
    expect(received.map((r) => r.path)).toEqual(["/hook", "/moved"]);
    expect(result).toMatchObject({ delivered: true, statusCode: 200, responseSnippet: "moved ok" });
  });

  test("an answer slower than the time limit is a failed attempt", async () => {
    answer = () => new Promise<Response>((resolve) => setTimeout(() => resolve(new Response("late")), 2000));
    const started = Date.now();
    const result = await sendWebhook(`${base()}/slow`, {}, "{}", { allowPrivate: true, timeoutMs: 200 });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(result).toMatchObject({ delivered: false, error: "no answer within 200 ms" });
  });

  test("a sender that died mid-send: its lease runs out and another sender delivers the same delivery", async () => {
    const h = await hook();
    await failTask();
    // The dead sender: claimed with a lease, never sent, never recorded.
    expect(await claimWebhookDeliveries(d.db, 10, 60_000)).toHaveLength(1);
    expect(await sender().runOnce()).toBe(0);
    // Once the lease has run out (moved to the past here: a short real one could expire on a loaded machine before the check above), another sender takes it.
    await d.db.execute(sql`update webhook_deliveries set next_attempt_at = now() - interval '1 millisecond' where webhook_id = ${h.id}`);
    expect(await sender().runOnce()).toBe(1);
    expect(received).toHaveLength(1);
    const [delivery] = await deliveriesOf(h.id);
    expect(delivery).toMatchObject({ status: "delivered", attempts: 2 });
    expect(JSON.parse(received[0]!.body).id).toBe(delivery!.id);
  });

  test("prune deletes finished deliveries past their keep time, never pending ones", async () => {
    const h = await hook();
    for (const name of ["old-delivered", "old-failed", "recent", "pending"]) await failTask(name);
    await d.db.execute(sql`update webhook_deliveries d set status = 'delivered', finished_at = now() - interval '8 days'
      from tasks t where t.id = (d.payload->'task'->>'id')::uuid and t.name = 'old-delivered'`);
    await d.db.execute(sql`update webhook_deliveries d set status = 'failed', finished_at = now() - interval '9 days'
      from tasks t where t.id = (d.payload->'task'->>'id')::uuid and t.name = 'old-failed'`);
    await d.db.execute(sql`update webhook_deliveries d set status = 'delivered', finished_at = now() - interval '1 day'
      from tasks t where t.id = (d.payload->'task'->>'id')::uuid and t.name = 'recent'`);
    await d.db.execute(sql`update webhook_deliveries set next_attempt_at = now() + interval '1 hour' where status = 'pending'`);
    let pruned = 0;
    expect(await sender({ onPruned: (n) => (pruned += n) }).runOnce()).toBe(0);
    expect(pruned).toBe(2);
    expect((await deliveriesOf(h.id)).map((x) => (x.payload.task as { name: string }).name).sort()).toEqual(["pending", "recent"]);
  });

  test("after a manual retry, the payload carries the budget and the text counts in it", async () => {
    await hook();
    const t = await insertTask(d.db, { name: "retried", status: "failed", attempt: 8, retryBase: 4, manualRetries: 1, exitCode: 1, error: "exit code 1" });
    await recordTransitions(d.db, [{ taskId: t.id, attempt: 8, status: "failed", message: "attempt 8 failed, no retries left" }]);
    await sender().runOnce();
    const body = JSON.parse(received[0]!.body);
    expect(body.task).toMatchObject({ attempt: 8, retry_base: 4, manual_retries: 1, max_retries: 3 });
    expect(body.text).toContain('task "retried" failed for good after attempt 4 of at most 4 (manual retry #1, attempt 8 in all)');
  });

  test("format slack sends only {text}", async () => {
    await hook({ format: "slack" });
    await failTask("nightly");
    await sender().runOnce();
    const body = JSON.parse(received[0]!.body);
    expect(Object.keys(body)).toEqual(["text"]);
    expect(body.text).toStartWith('taskflow: task "nightly" failed for good after attempt 4 of at most 4: exit code 1 [queue default, id ');
  });

  test("start/stop: the loop delivers by itself and stops cleanly (twice is safe)", async () => {
    await hook();
    const s = sender({ pollMs: 20 });
    await s.stop();
    await s.start();
    await failTask();
    await waitFor("a delivery from the loop", () => received.length === 1, 5000);
    await s.stop();
    await s.stop();
  });
});
