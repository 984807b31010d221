import { afterAll, beforeAll, expect, test } from "bun:test";
import { SchedulerTestApp } from "../../test/support/scheduler-app.ts";

let api: SchedulerTestApp;
beforeAll(async () => {
  api = await SchedulerTestApp.open("pglite");
});
afterAll(() => api.close());

test("GET /api routes refuse query parameters they do not document, naming each", async () => {
  const r = await api.get("/api/tasks?search=x&status=failed&schedule=abc");
  expect(r.status).toBe(422);
  expect(r.body.details.map((d: { path: string }) => d.path)).toEqual(["/search", "/schedule"]);
  expect(r.body.details[0].message).toStartWith("is not a query parameter; this route takes status, queue, q,");
  for (const path of ["/api/workers?id=1", "/api/tasks/00000000-0000-4000-8000-000000000000?x=1", "/api/queues?q=a", "/api/schedules?limit=5"]) {
    const bad = await api.get(path);
    expect({ path, status: bad.status, details: bad.body.details }).toMatchObject({ path, status: 422, details: [{ message: "is not a query parameter; this route takes none" }] });
  }
});

test("documented parameters pass, and routes outside /api are not checked", async () => {
  expect((await api.get("/api/tasks?status=failed&q=x&schedule_id=00000000-0000-4000-8000-000000000000")).status).toBe(200);
  expect((await api.get("/healthz?probe=1")).status).toBe(200);
});
