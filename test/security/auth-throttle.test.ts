/**
 * Guessing the token is throttled per client address and logged sampled, over
 * HTTP (bearer tokens and the sign-in form) and gRPC; short tokens are refused
 * at start. Against real processes, with the AuthThrottle's rules checked on a
 * fixed clock too.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { AUTH_MAX_FAILURES, AuthThrottle } from "../../src/core/auth-throttle.ts";
import { createCoordinatorClient } from "../../src/proto/index.ts";
import { bearerTokenMetadata } from "../../src/proto/metadata.ts";
import { freePort, startTaskflow, waitFor, type TaskflowProcess } from "../support/processes.ts";
import { migratedDataDirFlag } from "../support/databases.ts";

const TOKEN = `throttle-${crypto.randomUUID()}`;

describe("a real process with a token", () => {
  let p: TaskflowProcess;
  let api: string;
  let grpcPort: number;
  beforeAll(async () => {
    const http = freePort();
    grpcPort = freePort();
    api = `http://127.0.0.1:${http}`;
    p = startTaskflow(["--role=scheduler,coordinator", await migratedDataDirFlag(), `--http=127.0.0.1:${http}`, `--grpc=127.0.0.1:${grpcPort}`], {
      env: { TASKFLOW_TOKEN: TOKEN, TASKFLOW_LOG_LEVEL: "info" },
    });
    await waitFor("readyz", async () => (await fetch(`${api}/readyz`, { headers: { authorization: `Bearer ${TOKEN}` } })).status === 200, 30_000);
  }, 40_000);
  afterAll(async () => {
    p.kill();
    await p.exited;
  });

  test("100 wrong bearer tokens in a second: the 100th gets 429 with Retry-After, and the log has one line with the count", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 100; i++) {
      const r = await fetch(`${api}/api/tasks`, { headers: { authorization: `Bearer guess-${i}-0123456789abcdef` } });
      statuses.push(r.status);
      if (i === 99) {
        expect(r.status).toBe(429);
        expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
        expect((await r.json()).error).toBe("too_many_failed_attempts");
      } else await r.text();
    }
    expect(statuses.slice(0, AUTH_MAX_FAILURES).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(AUTH_MAX_FAILURES).every((s) => s === 429)).toBe(true);
    // The right token from the same address is refused too until the window ends: guessing cannot tell.
    expect((await fetch(`${api}/api/tasks`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(429);
    const lines = p.output().split("\n").filter((l) => l.includes("failed HTTP authentication"));
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeLessThanOrEqual(2);
    expect(lines[0]).toContain("127.0.0.1");
    expect(p.output()).not.toContain("guess-");
    // The sign-in form shares the count: it refuses at once, without a delay.
    const login = await fetch(`${api}/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `token=${TOKEN}`,
      redirect: "manual",
    });
    expect(login.status).toBe(429);
  });

  test("gRPC: past the limit a peer is refused with RESOURCE_EXHAUSTED before its token is checked", async () => {
    const client = createCoordinatorClient(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
    const attempt = (token: string) =>
      new Promise<number>((resolve) => {
        const call = client.Connect(bearerTokenMetadata(token));
        call.on("error", (err: grpc.ServiceError) => resolve(err.code));
        call.on("data", () => {});
        call.on("status", (s: grpc.StatusObject) => resolve(s.code));
      });
    const codes: number[] = [];
    for (let i = 0; i < AUTH_MAX_FAILURES + 5; i++) codes.push(await attempt(`wrong-${i}-0123456789abcdef`));
    client.close();
    expect(codes.slice(0, AUTH_MAX_FAILURES).every((c) => c === grpc.status.UNAUTHENTICATED)).toBe(true);
    expect(codes.slice(AUTH_MAX_FAILURES).every((c) => c === grpc.status.RESOURCE_EXHAUSTED)).toBe(true);
    await waitFor("the sampled gRPC log line", () => /failed gRPC authentication\(s\) from 127\.0\.0\.1/.test(p.output()));
    expect(p.output().split("\n").filter((l) => l.includes("failed gRPC authentication")).length).toBeLessThanOrEqual(2);
  });
});

test("AuthThrottle: blocks past the limit for the rest of the window, logs one line per client per window with the count", () => {
  let now = 1_000_000;
  const logged: Record<string, unknown>[] = [];
  const log = { warn: (_m: string, p: Record<string, unknown>) => logged.push(p) } as never;
  const t = new AuthThrottle({ log, what: "HTTP", maxFailures: 3, windowMs: 60_000, now: () => now });
  for (let i = 0; i < 3; i++) t.failed("10.0.0.1");
  expect(t.blockedFor("10.0.0.1")).toBe(60_000);
  expect(t.blockedFor("10.0.0.2")).toBe(0);
  expect(logged).toEqual([expect.objectContaining({ count: 1, client: "10.0.0.1" })]);
  now += 30_000;
  expect(t.blockedFor("10.0.0.1")).toBe(30_000);
  now += 30_000;
  expect(t.blockedFor("10.0.0.1")).toBe(0);
  t.failed("10.0.0.1");
  // The next line carries every failure since the last one.
  expect(logged.at(-1)).toEqual(expect.objectContaining({ count: 3, client: "10.0.0.1" }));
  t.stop();
});

test.each([
  ["--token", ["--token=short"], {}],
  ["TASKFLOW_TOKEN", [], { TASKFLOW_TOKEN: "0123456789abcde" }],
] as const)("a token under 16 characters by %s: exit 2 with one line saying how to make one", async (_how, flags, env) => {
  const p = startTaskflow(["--role=scheduler,coordinator", "--data-dir=memory://", `--http=127.0.0.1:${freePort()}`, `--grpc=127.0.0.1:${freePort()}`, ...flags], { env });
  expect(await p.exited).toBe(2);
  const lines = p.output().trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/--token is too short \(\d+ characters; at least 16\): make one with `openssl rand -hex 32`/);
});
