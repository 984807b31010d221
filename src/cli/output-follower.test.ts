/** followOutput against a stub API: attempts printed once each, in order, through a server that drops out for a while. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { ApiClient } from "./api-client.ts";
import { followOutput } from "./output-follower.ts";

const ID = "7d1c2a4e-0000-4000-8000-000000000001";
let server: ReturnType<typeof Bun.serve>;
let gets = 0;

const attempt = (n: number, finished: boolean) => ({
  attempt: n,
  status: finished ? "failed" : "running",
  finished_at: finished ? "2030-01-01T00:00:01.000Z" : null,
  exit_code: finished ? 3 : null,
  stdout_tail: finished ? `out ${n}\n` : null,
  stderr_tail: finished ? `err ${n}\n` : null,
});

/** The task as each GET sees it: attempt 1 running, a 503, attempt 1 failed and 2 running, a 503, both ended. */
const answers = [
  { status: "running", attempts: [attempt(1, false)] },
  503,
  { status: "running", attempts: [attempt(1, true), attempt(2, false)] },
  503,
  { status: "failed", attempts: [attempt(1, true), attempt(2, true)] },
];

beforeAll(() => {
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req) {
      const path = new URL(req.url).pathname;
      // No event stream: the follower must get there by polling alone.
      if (path !== `/api/tasks/${ID}`) return Response.json({ error: "not_found", message: "no such route", details: [] }, { status: 404 });
      const a = answers[Math.min(gets++, answers.length - 1)]!;
      if (typeof a === "number") return Response.json({ error: "unavailable", message: "the database is unavailable; retry shortly", details: [] }, { status: 503 });
      return Response.json({ id: ID, attempt: a.attempts.length, ...a });
    },
  });
});
afterAll(() => server.stop(true));

test("each attempt's output is printed once, in order; a 503 is waited out and reported once per outage", async () => {
  const printed: string[] = [];
  const lost: string[] = [];
  const final = await followOutput(
    new ApiClient(`http://127.0.0.1:${server.port}`, null),
    ID,
    { stdout: (t, n) => printed.push(`${n} stdout ${t}`), stderr: (t, n) => printed.push(`${n} stderr ${t}`) },
    { fromAttempt: 1, streams: { stdout: true, stderr: true }, onServerLost: (err) => lost.push(err.message) },
  );
  expect(final?.status).toBe("failed");
  expect(printed).toEqual(["1 stdout out 1\n", "1 stderr err 1\n", "2 stdout out 2\n", "2 stderr err 2\n"]);
  expect(lost).toHaveLength(2);
  expect(lost[0]).toContain("(503)");
}, 20_000);
