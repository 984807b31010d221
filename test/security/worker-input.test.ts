/**
 * A worker's messages are input like any other: a Hello with out-of-range or
 * malformed fields is refused with INVALID_ARGUMENT naming the field (and no
 * worker row appears), and a result's output tails are stored only up to their
 * last 64 KiB, whatever the worker sent. Driven by a hand-made gRPC client
 * against a real coordinator process.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { helloProblems } from "../../src/coordinator/session/hello-validation.ts";
import { createCoordinatorClient, type CoordinatorMessageOutput, type HelloOutput } from "../../src/proto/index.ts";
import { freePort, startTaskflow, waitFor, waitReady, type TaskflowProcess } from "../support/processes.ts";
import { migratedDataDirFlag } from "../support/databases.ts";

let p: TaskflowProcess;
let api: string;
let client: ReturnType<typeof createCoordinatorClient>;

const GOOD: HelloOutput = { name: "rogue", host: "h", concurrency: 1, queues: ["rogue"], version: "1", running: [], previous_worker_id: "", pid: 1, draining: false, labels: {} };

beforeAll(async () => {
  const http = freePort();
  const grpcPort = freePort();
  api = `http://127.0.0.1:${http}`;
  p = startTaskflow(["--role=scheduler,coordinator", await migratedDataDirFlag(), `--http=127.0.0.1:${http}`, `--grpc=127.0.0.1:${grpcPort}`]);
  await waitReady(api, p, 30_000);
  client = createCoordinatorClient(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
}, 40_000);

afterAll(async () => {
  client?.close();
  p.kill();
  await p.exited;
});

/** Sends a Hello and resolves with the stream's error, or "welcome". */
function hello(h: Partial<HelloOutput>): Promise<{ code: number; details: string } | "welcome"> {
  return new Promise((resolve) => {
    const call = client.Connect(new grpc.Metadata());
    call.on("data", (m: CoordinatorMessageOutput) => {
      if (m.welcome) {
        resolve("welcome");
        call.cancel();
      }
    });
    call.on("error", (err: grpc.ServiceError) => resolve({ code: err.code, details: err.details }));
    call.write({ hello: { ...GOOD, ...h } });
  });
}

test.each([
  ["concurrency 0", { concurrency: 0 }, /concurrency must be a whole number from 1 to 10000/],
  ["concurrency 1,000,000", { concurrency: 1_000_000 }, /concurrency/],
  ["a queue that is not a queue name", { queues: ["default", "Bad Queue!"] }, /queues: "Bad Queue!" is not a queue name/],
  ["a 1 MB queue name", { queues: ["q".repeat(1_000_000)] }, /is not a queue name/],
  ["1,000 queues", { queues: Array.from({ length: 1000 }, (_, i) => `q${i}`) }, /queues must list at most 100/],
  ["a 10 kB name", { name: "n".repeat(10_000) }, /name must be at most 200 characters/],
  ["a host with a newline", { host: "h\nFAKE LOG LINE" }, /host must not contain control characters/],
  ["a 1 kB version", { version: "v".repeat(1000) }, /version must be at most 64/],
  ["a previous id that is no id", { previous_worker_id: "'; drop table workers; --" }, /previous_worker_id/],
] as const)("a Hello with %s is refused with INVALID_ARGUMENT naming the field", async (_what, fields, message) => {
  const answer = await hello(fields as Partial<HelloOutput>);
  expect(answer).not.toBe("welcome");
  const { code, details } = answer as { code: number; details: string };
  expect(code).toBe(grpc.status.INVALID_ARGUMENT);
  expect(details).toMatch(message);
  expect(details.length).toBeLessThan(1000);
});

test("no refused worker became a worker row", async () => {
  const workers = (await (await fetch(`${api}/api/workers`)).json()).workers;
  expect(workers).toEqual([]);
});

test("a result's tails are stored only up to their last 64 KiB", async () => {
  const call = client.Connect(new grpc.Metadata());
  const dispatched = new Promise<{ task_id: string; attempt: number }>((resolve) => {
    call.on("data", (m: CoordinatorMessageOutput) => {
      if (m.dispatch) resolve(m.dispatch);
    });
  });
  call.on("error", () => {});
  call.write({ hello: GOOD });
  await waitFor("the rogue worker to join", async () => (await (await fetch(`${api}/api/workers`)).json()).workers.length === 1);
  const created = await fetch(`${api}/api/tasks`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "t", command: "true", queue: "rogue" }) });
  const { id } = await created.json();
  const d = await dispatched;
  expect(d.task_id).toBe(id);
  const now = Date.now();
  call.write({ started: { task_id: d.task_id, attempt: d.attempt, started_at_ms: now, pid: 42 } });
  const big = Buffer.alloc(1024 * 1024, "a");
  big.write("THE-END", big.length - 7);
  call.write({
    finished: { task_id: d.task_id, attempt: d.attempt, exit_code: 1, error: "e".repeat(100_000), stdout_tail: big, stderr_tail: big, started_at_ms: now, finished_at_ms: now + 1 },
  });
  const task = await waitFor("the result to be stored", async () => {
    const t = await (await fetch(`${api}/api/tasks/${id}`)).json();
    return t.attempts?.[0]?.finished_at ? t : null;
  });
  call.cancel();
  const attempt = task.attempts[0];
  expect(attempt.stdout_tail.length).toBe(64 * 1024);
  expect(attempt.stdout_tail.endsWith("THE-END")).toBe(true);
  expect(attempt.stderr_tail.length).toBe(64 * 1024);
  expect(attempt.error.length).toBeLessThanOrEqual(4096);
}, 30_000);

test("helloProblems accepts what a real worker sends", () => {
  expect(helloProblems(GOOD)).toEqual([]);
  expect(helloProblems({ ...GOOD, queues: [], name: "", previous_worker_id: crypto.randomUUID(), concurrency: 10_000 })).toEqual([]);
  expect(helloProblems({ ...GOOD, labels: { hostname: "db-1", os: "linux", arch: "x64", "team/app": "api" } })).toEqual([]);
});

test("helloProblems refuses labels a selector could not name, or too many", () => {
  expect(helloProblems({ ...GOOD, labels: { Region: "eu" } })).toEqual([expect.stringMatching(/^labels\.Region: label key "Region" must be/)]);
  expect(helloProblems({ ...GOOD, labels: { region: "e\u0000u" } })).toEqual(["labels.region: must not contain control characters, commas or ="]);
  const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, "v"]));
  expect(helloProblems({ ...GOOD, labels: many })).toEqual(["labels: must have at most 64 labels (got 65)"]);
});
