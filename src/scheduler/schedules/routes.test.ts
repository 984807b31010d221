/** The schedule API on a real database: validation, CRUD, pause/resume, and what the ticker leaves behind. */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { Elysia } from "elysia";
import { describeEachBackend, openTestDatabase, type TestDatabase } from "../../../test/support/databases.ts";
import { waitFor } from "../../../test/support/processes.ts";
import { SCHEDULE_CHANNEL } from "../../db/channels.ts";
import { tickDueSchedules } from "../../db/queries/tick-schedules.ts";
import { schedules, tasks } from "../../db/schema/index.ts";
import { roleLogger } from "../../log/logger.ts";
import { httpErrors } from "../http-errors.ts";
import { bodyLimit } from "../request-body.ts";
import { scheduleRoutes } from "./routes.ts";
import { validateNewSchedule } from "./validate-schedule.ts";

const body = (o: Record<string, unknown> = {}) => ({ name: "nightly", cron: "0 3 * * *", task: { command: "backup.sh" }, ...o });
const TASK_DEFAULTS = { command: "backup.sh", env: {}, queue: "default", priority: 0, max_retries: 3, backoff_ms: 1000, backoff_factor: 2, backoff_max_ms: 3_600_000, timeout_ms: null };
const paths = (r: { body: { details: { path: string }[] } }) => r.body.details.map((d) => d.path).sort();

describe("validateNewSchedule", () => {
  test("defaults: UTC, active, task defaults applied, name left to the schedule", () => {
    expect(validateNewSchedule(body())).toEqual({
      ok: true,
      value: { name: "nightly", cron: "0 3 * * *", timezone: "UTC", paused: false, template: TASK_DEFAULTS, overlap: "skip", catchUp: "latest", catchUpMax: 10 },
    });
  });

  test("every problem is named, the task's under /task with the task API's own rules", () => {
    const r = validateNewSchedule({
      cron: "61 * * * *", timezone: "Mars/Olympus", paused: "yes", next_run_at: "x", colour: 1,
      task: { command: "", priority: 101, run_at: "2030-01-01T00:00:00Z", delay_ms: 5, idempotency_key: "k", max_retry: 1 },
    });
    expect(r.ok).toBe(false);
    const byPath = Object.fromEntries((r.ok ? [] : r.problems).map((p) => [p.path, p.message]));
    expect(Object.keys(byPath).sort()).toEqual([
      "/colour", "/cron", "/name", "/next_run_at", "/paused", "/task/command", "/task/delay_ms", "/task/idempotency_key",
      "/task/max_retry", "/task/priority", "/task/run_at", "/timezone",
    ]);
    expect(byPath["/cron"]).toContain("minute");
    expect(byPath["/timezone"]).toContain("Mars/Olympus");
    expect(byPath["/next_run_at"]).toBe("is read-only");
    expect(byPath["/task/max_retry"]).toContain("max_retries");
    expect(byPath["/task/idempotency_key"]).toContain("schedule:");
  });
});

describeEachBackend("schedule API", (backend) => {
  let d: TestDatabase;
  let app: Elysia<any, any, any, any, any, any, any>;
  beforeAll(async () => {
    d = await openTestDatabase(backend);
    app = new Elysia().use(httpErrors(roleLogger("scheduler", "test"))).use(bodyLimit()).use(scheduleRoutes(d.db, roleLogger("scheduler", "test")));
  });
  afterAll(() => d.close());
  beforeEach(async () => {
    await d.db.execute(sql`truncate tasks, task_attempts, task_output_chunks, task_events, schedules, schedule_ticks`);
  });

  async function call(method: string, path: string, json?: unknown, headers: Record<string, string> = {}) {
    const init: RequestInit = { method, headers: { "content-type": "application/json", ...headers } };
    if (json !== undefined) init.body = typeof json === "string" ? json : JSON.stringify(json);
    const res = await app.handle(new Request(`http://localhost/api/schedules${path}`, init));
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }
  const create = async (o: Record<string, unknown> = {}) => {
    const r = await call("POST", "", body(o));
    expect(r.status).toBe(201);
    return r.body;
  };

  test("POST creates a schedule: defaults, next run after now, the next few runs", async () => {
    const before = Date.now();
    const s = await create({ cron: "*/10 * * * * *" });
    expect(s).toMatchObject({
      name: "nightly", cron: "*/10 * * * * *", timezone: "UTC", paused: false, task: TASK_DEFAULTS,
      last_run_at: null, last_task_id: null, last_task_status: null,
    });
    expect(s.id).toMatch(/^[0-9a-f-]{36}$/);
    const next = Date.parse(s.next_run_at);
    expect(next).toBeGreaterThan(before - 1000);
    expect(next % 10_000).toBe(0);
    expect(s.next_runs).toHaveLength(5);
    expect(s.next_runs[0]).toBe(s.next_run_at);
    expect(s.next_runs.map((t: string) => Date.parse(t) - next)).toEqual([0, 10_000, 20_000, 30_000, 40_000]);
  });

  test("nicknames and time zones: next runs are local wall-clock times", async () => {
    const s = await create({ cron: "0 9 * * *", timezone: "america/new_york", task: { name: "report", command: "r" } });
    expect(s.timezone).toBe("America/New_York");
    expect(s.task.name).toBe("report");
    for (const t of s.next_runs) expect([13, 14]).toContain(new Date(t).getUTCHours());
    const daily = await create({ cron: "@daily" });
    expect(daily.next_runs.every((t: string) => t.endsWith("T00:00:00.000Z"))).toBe(true);
  });

  test("422 names the bad fields (cron, timezone, task) and writes nothing", async () => {
    const r = await call("POST", "", body({ cron: "* * *", timezone: "Nowhere/Land", task: { command: "x", queue: "BAD" } }));
    expect(r.status).toBe(422);
    expect(r.body.error).toBe("validation_failed");
    expect(paths(r)).toEqual(["/cron", "/task/queue", "/timezone"]);
    const never = await call("POST", "", body({ cron: "0 0 30 2 *" }));
    expect(never.status).toBe(422);
    expect(never.body.details).toEqual([{ path: "/cron", message: "never matches a future time" }]);
    expect(await d.db.select().from(schedules)).toEqual([]);
  });

  test("malformed JSON is 400, a non-JSON body 415", async () => {
    expect((await call("POST", "", "{nope")).status).toBe(400);
    expect((await call("POST", "", "x", { "content-type": "text/plain" })).status).toBe(415);
  });

  test("GET lists by name and reads one; unknown ids are 404", async () => {
    const b = await create({ name: "b" });
    const a = await create({ name: "a", paused: true });
    const list = await call("GET", "");
    expect(list.status).toBe(200);
    expect(list.body.schedules.map((s: { id: string }) => s.id)).toEqual([a.id, b.id]);
    const one = await call("GET", `/${b.id.toUpperCase()}`);
    expect(one.body).toEqual(b);
    expect((await call("GET", "/00000000-0000-0000-0000-000000000000")).status).toBe(404);
    const bad = await call("GET", "/nope");
    expect(bad.status).toBe(404);
    expect(bad.body.error).toBe("not_found");
  });

  test("PATCH pauses (no next run) and resumes (next run after now); other edits keep the next run", async () => {
    const s = await create({ cron: "* * * * * *" });
    const paused = await call("PATCH", `/${s.id}`, { paused: true });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ paused: true, next_run_at: null });
    // A paused schedule still previews what resuming would give.
    expect(paused.body.next_runs).toHaveLength(5);
    const resumed = await call("PATCH", `/${s.id}`, { paused: false });
    expect(resumed.body.paused).toBe(false);
    expect(Date.parse(resumed.body.next_run_at)).toBeGreaterThanOrEqual(Date.parse(s.next_run_at));
    const renamed = await call("PATCH", `/${s.id}`, { name: "renamed", task: { command: "other", priority: 5 } });
    expect(renamed.body).toMatchObject({ name: "renamed", next_run_at: resumed.body.next_run_at, task: { ...TASK_DEFAULTS, command: "other", priority: 5 } });
    const recron = await call("PATCH", `/${s.id}`, { cron: "@yearly", timezone: "Asia/Tokyo" });
    expect(recron.body.next_run_at).toMatch(/-12-31T15:00:00\.000Z$/);
  });

  test("PATCH validates like POST and 404s unknown ids", async () => {
    const s = await create();
    const r = await call("PATCH", `/${s.id}`, { cron: "", timezone: 5, paused: 1, task: { run_at: "2030-01-01T00:00:00Z", command: "x" }, id: "x" });
    expect(r.status).toBe(422);
    expect(paths(r)).toEqual(["/cron", "/id", "/paused", "/task/run_at", "/timezone"]);
    expect((await call("PATCH", "/00000000-0000-0000-0000-000000000000", { paused: true })).status).toBe(404);
  });

  test("DELETE removes the schedule; the tasks it made stay", async () => {
    const s = await create({ cron: "@hourly" });
    await d.db.update(schedules).set({ nextRunAt: sql`date_trunc('hour', now())` as unknown as Date }).where(eq(schedules.id, s.id));
    const batch = await tickDueSchedules(d.db, 10);
    expect(batch.ticks).toHaveLength(1);
    const shown = await call("GET", `/${s.id}`);
    expect(shown.body).toMatchObject({ last_task_id: batch.ticks[0]!.taskId, last_task_status: "scheduled", last_run_at: batch.ticks[0]!.dueAt.toISOString() });
    const del = await call("DELETE", `/${s.id}`);
    expect(del.status).toBe(200);
    expect(del.body.id).toBe(s.id);
    expect((await call("GET", `/${s.id}`)).status).toBe(404);
    expect((await call("DELETE", `/${s.id}`)).status).toBe(404);
    const left = await d.db.select().from(tasks).where(eq(tasks.scheduleId, s.id));
    expect(left.map((t) => t.id)).toEqual([batch.ticks[0]!.taskId]);
  });

  test("overlap and catch-up: defaults skip and latest; PATCH changes every field; bad values are 422 by field", async () => {
    const s = await create();
    expect(s).toMatchObject({ overlap: "skip", catch_up: "latest", catch_up_max: 10 });
    const edited = await call("PATCH", `/${s.id}`, { overlap: "queue_one", catch_up: "all", catch_up_max: 5, name: "renamed", cron: "0 4 * * *", timezone: "Europe/Berlin", task: { command: "b.sh", concurrency_key: "backups" } });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ overlap: "queue_one", catch_up: "all", catch_up_max: 5, name: "renamed", cron: "0 4 * * *", timezone: "Europe/Berlin", task: { command: "b.sh", concurrency_key: "backups", concurrency_limit: 1 } });
    const bad = await call("PATCH", `/${s.id}`, { overlap: "sometimes", catch_up: "every", catch_up_max: 0, task: { command: "x", depends_on: [] } });
    expect(bad.status).toBe(422);
    expect(paths(bad)).toEqual(["/catch_up", "/catch_up_max", "/overlap", "/task/depends_on"]);
  });

  test("POST /:id/run makes a task now, outside the cron, recorded as manual; the ticks list it; unknown ids are 404", async () => {
    const s = await create({ overlap: "skip" });
    const ran = await call("POST", `/${s.id}/run`);
    expect(ran.status).toBe(201);
    expect(ran.body).toMatchObject({ schedule_id: s.id, command: "backup.sh", status: "scheduled" });
    expect(ran.body.idempotency_key).toStartWith(`schedule:${s.id}:manual:`);
    expect(Math.abs(Date.parse(ran.body.run_at) - Date.now())).toBeLessThan(5000);
    // Run-now ignores overlap: a second one while the first waits.
    expect((await call("POST", `/${s.id}/run`)).status).toBe(201);
    const ticks = await call("GET", `/${s.id}/ticks`);
    expect(ticks.body.ticks.map((t: { outcome: string }) => t.outcome)).toEqual(["manual", "manual"]);
    expect(ticks.body.ticks[1]).toMatchObject({ task_id: ran.body.id, message: "run now by a user" });
    expect((await call("GET", `/${s.id}`)).body.last_task_id).toBe(ticks.body.ticks[0].task_id);
    expect((await call("POST", `/${crypto.randomUUID()}/run`)).status).toBe(404);
    expect((await call("GET", `/${crypto.randomUUID()}/ticks`)).status).toBe(404);
  });

  test("create, edit and delete are announced on the schedule channel", async () => {
    const heard: unknown[] = [];
    const stop = await d.listen(SCHEDULE_CHANNEL, (p) => heard.push(...JSON.parse(p)));
    try {
      const s = await create();
      await call("PATCH", `/${s.id}`, { paused: true });
      await call("DELETE", `/${s.id}`);
      const expected = ["created", "updated", "deleted"].map((change) => ({ id: s.id, change }));
      await waitFor("three notifications", () => heard.length >= 3, 5000);
      expect(heard).toEqual(expected);
    } finally {
      await stop();
    }
  });
});
