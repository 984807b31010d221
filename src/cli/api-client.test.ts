/** The one-line errors of the API client and the id prefix rules, against a stub server. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { ApiClient } from "./api-client.ts";
import { CliError, UsageError } from "./errors.ts";
import { resolveScheduleId, resolveTaskId } from "./ids.ts";

let server: ReturnType<typeof Bun.serve>;
let base: string;
const A = "7d1c2a4e-0000-4000-8000-000000000001";
const B = "7d1c2a4e-0000-4000-8000-000000000002";

beforeAll(() => {
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req) {
      const url = new URL(req.url);
      const json = (status: number, body: unknown) => Response.json(body, { status });
      if (url.pathname === "/api/tasks") {
        const p = url.searchParams.get("id_prefix") ?? "";
        return json(200, { tasks: [{ id: A, name: "first" }, { id: B, name: "second" }].filter((t) => t.id.startsWith(p)), next_cursor: null });
      }
      if (url.pathname === "/api/schedules") return json(200, { schedules: [{ id: A, name: "nightly" }] });
      if (url.pathname === "/401") return json(401, { error: "unauthorized", message: "missing or wrong token", details: [] });
      if (url.pathname === "/422") return json(422, { error: "validation_failed", message: "bad", details: [{ path: "/priority", message: "must be at most 100" }, { path: "/env/A B", message: "bad name" }, { path: "/task/max_retries", message: "must be at most 100" }] });
      if (url.pathname === "/409") return json(409, { error: "conflict", message: "task x has already finished", details: [] });
      if (url.pathname === "/503") return json(503, { error: "unavailable", message: "the database is unavailable; retry shortly", details: [] });
      if (url.pathname === "/html") return new Response("<html>", { status: 502 });
      return json(404, { error: "not_found", message: "no such route", details: [] });
    },
  });
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(() => server.stop(true));

const message = (p: Promise<unknown>) => p.then(() => "no error", (err: Error) => `${err.constructor.name}: ${err.message}`);

test("each refusal is one line a user can act on", async () => {
  const api = new ApiClient(base, null);
  expect(await message(api.get("/401"))).toBe(`ApiError: ${base} needs a token (401): give it with --token-file, TASKFLOW_TOKEN or --token`);
  expect(await message(new ApiClient(base, "t").get("/401"))).toBe(`ApiError: ${base} refused the token (401): check --token, --token-file or TASKFLOW_TOKEN`);
  expect(await message(api.post("/422", {}))).toBe("ApiError: invalid: priority must be at most 100; env/A B bad name; task/max_retries (--retries) must be at most 100");
  expect(await message(api.post("/409"))).toBe("ApiError: task x has already finished");
  expect(await message(api.get("/503"))).toBe(`ApiError: ${base} is unavailable for now (503): the database is unavailable; retry shortly`);
  expect(await message(api.get("/html"))).toBe(`CliError: ${base} answered 502 with a body that is not JSON: is --url pointing at taskflow?`);
  const down = new ApiClient("http://127.0.0.1:1", null);
  expect(await message(down.get("/api/tasks"))).toBe("CliError: cannot reach taskflow at http://127.0.0.1:1 (connection refused): is it running? Point --url or TASKFLOW_URL at its --http address");
});

test("id prefixes: unique resolves, ambiguous names the matches, short or malformed is a usage error", async () => {
  const api = new ApiClient(base, null);
  expect(await resolveTaskId(api, "7D1C2A4E-0000-4000-8000-000000000002")).toBe(B);
  const ambiguous = await resolveTaskId(api, "7d1c2a4e").catch((e) => e);
  expect(ambiguous).toBeInstanceOf(CliError);
  expect(ambiguous.message).toBe(`task id prefix 7d1c2a4e is ambiguous: ${A} (first), ${B} (second); give more characters`);
  expect(await message(resolveTaskId(api, "00000000"))).toBe("CliError: no task id starts with 00000000");
  for (const bad of ["7d1c2a4", "nothex12", "7d1c2a4e0"]) expect(await resolveTaskId(api, bad).catch((e) => e)).toBeInstanceOf(UsageError);
  expect(await resolveScheduleId(api, "7d1c2a4e")).toBe(A);
});
