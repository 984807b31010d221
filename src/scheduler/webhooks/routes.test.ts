/** The webhook API in-process on a real database: CRUD, validation naming each field, the address rule, deliveries. */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { describeEachBackend, openTestDatabase, type TestDatabase } from "../../../test/support/databases.ts";
import { insertTask } from "../../../test/support/factories.ts";
import { parseConfig } from "../../config/config.ts";
import { recordTransitions } from "../../db/queries/record-transitions.ts";
import { roleLogger } from "../../log/logger.ts";
import { ChangeFeed } from "../live/change-feed.ts";
import { OutputFeed } from "../live/output-feed.ts";
import { buildHttpApp } from "../http-app.ts";

const PUBLIC_URL = "http://93.184.215.14/hooks/taskflow";

describeEachBackend("webhook API", (backend) => {
  let d: TestDatabase;
  let app: ReturnType<typeof buildHttpApp>;
  let allowing: ReturnType<typeof buildHttpApp>;
  beforeAll(async () => {
    d = await openTestDatabase(backend);
    const log = roleLogger("scheduler", "test");
    const build = (argv: string[]) => buildHttpApp({ db: d.db, log, feed: new ChangeFeed(d, log), outputs: new OutputFeed(d), config: parseConfig(argv, {}).config });
    app = build([]);
    allowing = build(["--webhook-allow-private"]);
  });
  afterAll(() => d.close());
  beforeEach(async () => {
    await d.db.execute(sql`truncate tasks, task_events, webhooks, webhook_deliveries cascade`);
  });

  async function call(method: string, path: string, body?: unknown, on = app) {
    const init: RequestInit = { method };
    if (body !== undefined) Object.assign(init, { body: JSON.stringify(body), headers: { "content-type": "application/json" } });
    const res = await on.handle(new Request(`http://localhost${path}`, init));
    return { status: res.status, body: (await res.json()) as any };
  }

  test("create, read, list, edit, delete; the secret is never shown", async () => {
    const created = await call("POST", "/api/webhooks", { url: PUBLIC_URL, events: ["task.failed", "worker.dead"], filter: { queue: "io" }, secret: "s3cret" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      url: PUBLIC_URL, events: ["task.failed", "worker.dead"], filter: { queue: "io", name_prefix: null, schedule_id: null },
      format: "json", enabled: true, signed: true, pending_deliveries: 0, failed_deliveries: 0, last_delivery_status: null,
    });
    expect(JSON.stringify(created.body)).not.toContain("s3cret");
    const id = created.body.id;
    expect((await call("GET", `/api/webhooks/${id}`)).body.id).toBe(id);
    expect((await call("GET", "/api/webhooks")).body.webhooks.map((w: any) => w.id)).toEqual([id]);
    const edited = await call("PATCH", `/api/webhooks/${id}`, { enabled: false, format: "slack", secret: null });
    expect(edited.body).toMatchObject({ enabled: false, format: "slack", signed: false, filter: { queue: "io" } });
    expect((await call("DELETE", `/api/webhooks/${id}`)).body.id).toBe(id);
    expect((await call("GET", `/api/webhooks/${id}`)).status).toBe(404);
    expect((await call("GET", "/api/webhooks/not-a-uuid")).status).toBe(404);
  });

  test("a webhook to 127.0.0.1 is refused with 422 unless --webhook-allow-private", async () => {
    for (const url of ["http://127.0.0.1:9000/hook", "http://[::1]/x", "http://169.254.169.254/latest/meta-data", "http://10.1.2.3/"]) {
      const refused = await call("POST", "/api/webhooks", { url, events: ["task.failed"] });
      expect(refused.status).toBe(422);
      expect(refused.body.details).toEqual([{ path: "/url", message: expect.stringContaining("--webhook-allow-private") }]);
    }
    expect((await call("POST", "/api/webhooks", { url: "http://127.0.0.1:9000/hook", events: ["task.failed"] }, allowing)).status).toBe(201);
    // Editing to a private URL is refused the same way.
    const ok = await call("POST", "/api/webhooks", { url: PUBLIC_URL, events: ["task.failed"] });
    expect((await call("PATCH", `/api/webhooks/${ok.body.id}`, { url: "http://192.168.1.1/" })).status).toBe(422);
  });

  test("every bad field is named", async () => {
    const bad = await call("POST", "/api/webhooks", {
      url: "ftp://x", events: ["task.failed", "task.exploded", "task.failed"], filter: { queue: "Bad Queue", schedule_id: "nope", color: 1 },
      secret: "", format: "xml", enabled: "yes", id: "x",
    });
    expect(bad.status).toBe(422);
    expect(bad.body.details.map((p: any) => p.path).sort()).toEqual(
      ["/enabled", "/events/1", "/events/2", "/filter/color", "/filter/queue", "/filter/schedule_id", "/format", "/id", "/secret", "/url"].sort(),
    );
    expect((await call("POST", "/api/webhooks", {})).body.details.map((p: any) => p.path).sort()).toEqual(["/events", "/url"]);
    expect((await call("POST", "/api/webhooks", { url: PUBLIC_URL, events: [] })).body.details).toEqual([{ path: "/events", message: expect.stringContaining("non-empty") }]);
  });

  test("deliveries: newest first with their attempts, paginated", async () => {
    const hook = (await call("POST", "/api/webhooks", { url: PUBLIC_URL, events: ["task.completed"] })).body;
    for (let i = 0; i < 3; i++) {
      const t = await insertTask(d.db, { name: `t${i}`, status: "completed" });
      await recordTransitions(d.db, [{ taskId: t.id, attempt: 1, status: "completed" }]);
    }
    const first = await call("GET", `/api/webhooks/${hook.id}/deliveries?limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.deliveries).toHaveLength(2);
    expect(first.body.deliveries[0]).toMatchObject({ event: "task.completed", status: "pending", attempts: 0, attempt_log: [], payload: { task: { name: "t2" } } });
    const rest = await call("GET", `/api/webhooks/${hook.id}/deliveries?limit=2&cursor=${first.body.next_cursor}`);
    expect(rest.body.deliveries.map((x: any) => x.payload.task.name)).toEqual(["t0"]);
    expect(rest.body.next_cursor).toBeNull();
    expect((await call("GET", `/api/webhooks/${hook.id}`)).body).toMatchObject({ pending_deliveries: 3, last_delivery_status: "pending" });
    expect((await call("GET", `/api/webhooks/${hook.id}/deliveries?limit=0&cursor=zz`)).body.details.map((p: any) => p.path)).toEqual(["/limit", "/cursor"]);
    expect((await call("GET", `/api/webhooks/${crypto.randomUUID()}/deliveries`)).status).toBe(404);
  });
});
