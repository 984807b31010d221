import { afterAll, beforeAll, expect, test } from "bun:test";
import { openDatabase, type Database } from "../db/client.ts";
import { buildTestApp } from "../../test/support/scheduler-app.ts";

// Port 1 on loopback refuses connections: a database that is down.
let database: Database;
let app: ReturnType<typeof buildTestApp>;
beforeAll(async () => {
  database = await openDatabase({ databaseUrl: "postgres://postgres@127.0.0.1:1/taskflow", dataDir: "", onNotice: () => {} });
  app = buildTestApp(database);
});
afterAll(() => database.close());

test.each([
  ["POST", "/api/tasks", { name: "a", command: "true" }],
  ["POST", "/api/tasks/batch", { tasks: [{ name: "a", command: "true" }] }],
  ["GET", "/api/tasks", undefined],
  ["GET", "/api/tasks/00000000-0000-4000-8000-000000000000", undefined],
  ["POST", "/api/tasks/00000000-0000-4000-8000-000000000000/cancel", undefined],
  ["POST", "/api/tasks/00000000-0000-4000-8000-000000000000/retry", undefined],
  ["GET", "/api/workers", undefined],
])("%s %s answers 503 JSON while the database is down", async (method, path, body) => {
  const res = await app.handle(
    new Request(`http://localhost${path}`, { method, body: body && JSON.stringify(body), headers: body ? { "content-type": "application/json" } : {} }),
  );
  expect(res.status).toBe(503);
  expect(await res.json()).toEqual({ error: "unavailable", message: expect.any(String), details: [] });
});
