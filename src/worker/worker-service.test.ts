// The worker service against a scripted coordinator (a real gRPC server in this
// process) and real task processes: Hello, heartbeats, dispatch, slots, cancel,
// drain, the outbox across a dropped stream, refused tokens, and shutdown.
import { afterEach, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { waitFor } from "../../test/support/processes.ts";
import { roleLogger, setupLogging } from "../log/logger.ts";
import { FakeCoordinator } from "../../test/support/fake-coordinator.ts";
import { WorkerService, type WorkerConfig } from "./worker-service.ts";

const logLines: string[] = [];
setupLogging({ format: "json", level: "debug", write: (line) => void logLines.push(line) });

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  logLines.length = 0;
});

async function fake(...args: ConstructorParameters<typeof FakeCoordinator>): Promise<FakeCoordinator> {
  const f = await new FakeCoordinator(...args).start();
  cleanups.push(() => f.kill());
  return f;
}

function worker(coordinator: FakeCoordinator | string, config: Partial<WorkerConfig> = {}): WorkerService {
  const w = new WorkerService({
    config: {
      coordinators: [typeof coordinator === "string" ? coordinator : coordinator.address],
      grpcTls: { cert: null, key: null, ca: null },
      token: "s3cret",
      name: "test-worker",
      concurrency: 2,
      queues: ["default", "q2"],
      heartbeatMs: 50,
      shutdownGraceMs: 5000,
      ...config,
    },
    log: roleLogger("worker"),
  });
  cleanups.push(() => w.stop());
  return w;
}

/** The array when it has items, else null (an empty array is truthy, so waitFor would take it). */
const nonEmpty = <T>(items: T[]): T[] | null => (items.length > 0 ? items : null);

const dispatch = (taskId: string, command: string, extra: Record<string, unknown> = {}) => ({
  dispatch: { task_id: taskId, attempt: 1, name: taskId, command, env: { GREETING: "hi" }, queue: "default", timeout_ms: 0, ...extra },
});

test("says Hello with its identity and token, heartbeats, runs a dispatch and reports it", async () => {
  const c = await fake();
  const w = worker(c);
  await w.start();
  const [hello] = await waitFor("hello", () => nonEmpty(c.all("hello")));
  expect(hello).toMatchObject({ name: "test-worker", concurrency: 2, queues: ["default", "q2"], pid: process.pid, draining: false, running: [], previous_worker_id: "" });
  expect(hello!.version).toMatch(/^\d+\.\d+\.\d+/);
  expect(c.last!.token).toBe("s3cret");
  expect(logLines.map((l) => JSON.parse(l).message)).toContain(`worker test-worker started: 2 slots, queues default,q2, coordinator ${c.address}`);
  await waitFor("two heartbeats", () => c.all("heartbeat").length >= 2);
  expect(w.workerId).toBe("w-1");

  c.send(dispatch("t1", 'echo "$GREETING"; echo oops >&2; exit 0'));
  const [finished] = await waitFor("result", () => nonEmpty(c.all("finished")));
  const [started] = c.all("started");
  expect(started).toMatchObject({ task_id: "t1", attempt: 1 });
  expect(started!.pid).toBeGreaterThan(0);
  expect(finished).toMatchObject({ task_id: "t1", attempt: 1, exit_code: 0, error: "" });
  expect(finished!.stdout_tail.toString()).toBe("hi\n");
  expect(finished!.stderr_tail.toString()).toBe("oops\n");
  expect(finished!.finished_at_ms).toBeGreaterThanOrEqual(finished!.started_at_ms);
  // While it runs, heartbeats list it; the order on the stream is started, then finished.
  const kinds = c.last!.messages.map((m) => m.body).filter((k) => k === "started" || k === "finished");
  expect(kinds).toEqual(["started", "finished"]);
});

test("never runs more than its concurrency: an over-dispatch is refused as 'worker full', a repeat is ignored", async () => {
  const c = await fake();
  const w = worker(c, { concurrency: 1 });
  await w.start();
  await waitFor("welcome", () => w.workerId);
  c.send(dispatch("long", "sleep 30"));
  c.send(dispatch("long", "sleep 30"));
  c.send(dispatch("extra", "echo never"));
  const [refused] = await waitFor("refusal", () => nonEmpty(c.all("finished")));
  expect(refused).toMatchObject({ task_id: "extra", attempt: 1, error: "worker full: its one slot is busy" });
  expect(refused!.exit_code).toBeUndefined();
  await waitFor("heartbeat listing the long task", () => c.all("heartbeat").some((h) => h.running.length === 1 && h.running[0]!.task_id === "long"));
  // A slot is taken before its process has spawned (a slow fork): the start report may follow the heartbeat.
  await waitFor("the long task's start", () => c.all("started").length > 0);
  expect(c.all("started").map((s) => s.task_id)).toEqual(["long"]);
  expect(c.all("heartbeat").every((h) => h.running.length <= 1)).toBe(true);

  // Cancel kills it and still reports it; a cancel for an unknown attempt is ignored.
  c.send({ cancel: { task_id: "nope", attempt: 1, reason: "x" } });
  c.send({ cancel: { task_id: "long", attempt: 1, reason: "cancelled by a user" } });
  const killed = await waitFor("cancelled result", () => c.all("finished").find((f) => f.task_id === "long"));
  expect(killed.error).toBe("cancelled by a user");
  expect(killed.exit_code).toBeUndefined();
});

test("a Drain makes it announce draining at once, and it says so in its next Hello", async () => {
  const c = await fake();
  const w = worker(c, { heartbeatMs: 60_000 });
  await w.start();
  await waitFor("welcome", () => w.workerId);
  c.send({ drain: { reason: "maintenance" } });
  const [hb] = await waitFor("draining heartbeat", () => nonEmpty(c.all("heartbeat")));
  expect(hb!.draining).toBe(true);
  c.fail(grpc.status.UNAVAILABLE, "bye");
  await waitFor("second hello", () => c.all("hello").length === 2);
  expect(c.all("hello")[1]).toMatchObject({ draining: true, previous_worker_id: "w-1" });
});

test("a session declared dead (FAILED_PRECONDITION) stops its running tasks at once and reconnects as a new session", async () => {
  const c = await fake();
  const w = worker(c);
  await w.start();
  await waitFor("welcome", () => w.workerId);
  c.send(dispatch("t1", "sleep 30"));
  await waitFor("started", () => c.all("started").length === 1);
  const t0 = Date.now();
  c.fail(grpc.status.FAILED_PRECONDITION, "worker session was declared dead; reconnect");
  const [hello] = await waitFor("a new hello", () => nonEmpty(c.all("hello").slice(1)));
  expect(hello!.previous_worker_id).toBe("w-1");
  const [finished] = await waitFor("the stopped task's result", () => nonEmpty(c.all("finished")));
  expect(finished).toMatchObject({ task_id: "t1", attempt: 1, error: "cancelled: this worker's session was declared dead; the attempt was retried elsewhere" });
  expect(Date.now() - t0).toBeLessThan(3000);
});

test("a result finished while the stream was down is listed in the next Hello and sent after the Welcome", async () => {
  const c = await fake();
  const w = worker(c);
  await w.start();
  await waitFor("welcome", () => w.workerId);
  const dir = `/tmp/taskflow-worker-test-${process.pid}-${Date.now()}`;
  cleanups.push(() => Bun.spawnSync(["rm", "-rf", dir]));
  // The task waits for a file, so it surely ends while the worker is disconnected.
  c.send(dispatch("t1", `mkdir -p ${dir}; while [ ! -e ${dir}/go ]; do sleep 0.02; done; echo done`));
  await waitFor("started", () => c.all("started").length === 1);
  const port = c.port;
  c.kill();
  await Bun.write(`${dir}/go`, "");
  await waitFor("a failed redial while down", () => logLines.some((l) => l.includes("cannot reach coordinator")));
  const back = await new FakeCoordinator().start(port);
  cleanups.push(() => back.kill());
  const [hello] = await waitFor("hello after reconnect", () => nonEmpty(back.all("hello")));
  expect(hello!.previous_worker_id).toBe("w-1");
  expect(hello!.running.map((r) => [r.task_id, r.attempt])).toEqual([["t1", 1]]);
  const [finished] = await waitFor("resent result", () => nonEmpty(back.all("finished")));
  expect(finished).toMatchObject({ task_id: "t1", attempt: 1, exit_code: 0 });
  expect(finished!.stdout_tail.toString()).toBe("done\n");
  const messages = back.last!.messages.map((m) => m.body);
  // Output written while the stream was down waited, and goes up ahead of the result it belongs to.
  expect(messages.slice(0, 3)).toEqual(["hello", "output", "finished"]);
  const chunk = back.last!.messages[1]!.output!.chunks[0]!;
  expect([chunk.task_id, chunk.stream, chunk.offset, chunk.data.toString()]).toEqual(["t1", "OUTPUT_STREAM_STDOUT", 0, "done\n"]);
});

test("a refused token is logged as such every time and retried with backoff", async () => {
  const c = await fake({ refuse: { code: grpc.status.UNAUTHENTICATED, details: "missing or wrong token" } });
  const w = worker(c);
  await w.start();
  await waitFor("three refused dials", () => c.streams.length >= 3, 5000);
  const refusals = logLines.filter((l) => l.includes("refused this worker's token"));
  expect(refusals.length).toBeGreaterThanOrEqual(2);
  expect(refusals.every((l) => l.includes('"level":"error"'))).toBe(true);
  expect(logLines.join("")).not.toContain("s3cret");
});

test("start() does not wait for a coordinator; failures are logged once, not per dial", async () => {
  const dead = await new FakeCoordinator().start();
  const deadAddress = dead.address;
  dead.kill();
  const w = worker(deadAddress);
  const t0 = Date.now();
  await w.start();
  expect(Date.now() - t0).toBeLessThan(500);
  await waitFor("several failed dials", () => logLines.filter((l) => l.includes("cannot reach coordinator")).length >= 1, 5000);
  await Bun.sleep(1500);
  const failures = logLines.filter((l) => l.includes("cannot reach coordinator"));
  const warned = failures.filter((l) => l.includes('"level":"warning"'));
  expect(warned.length).toBeLessThan(failures.length);
  // In words, with the next try; grpc-js's own text only at debug.
  expect(JSON.parse(warned[0]!).message).toMatch(/^cannot reach coordinator 127\.0\.0\.1:\d+: connection refused: nothing listens on that port .*; next try in \d+\.\d s$/);
  expect(warned.some((l) => l.includes("UNAVAILABLE") || l.includes("Resolution note"))).toBe(false);
  expect(failures.some((l) => l.includes('"level":"debug"') && l.includes("UNAVAILABLE"))).toBe(true);
});

test("stop(): drains, waits for the running task, delivers its result and hangs up cleanly", async () => {
  const c = await fake();
  const w = worker(c, { heartbeatMs: 60_000 });
  await w.stop(); // before start: a no-op
  const w2 = worker(c, { heartbeatMs: 60_000 });
  await w2.start();
  await waitFor("welcome", () => w2.workerId);
  c.send(dispatch("t1", "sleep 0.3; echo finished"));
  await waitFor("started", () => c.all("started").length === 1);
  const stopped = w2.stop();
  const [hb] = await waitFor("draining heartbeat", () => nonEmpty(c.all("heartbeat")));
  expect(hb).toMatchObject({ draining: true, running: [{ task_id: "t1", attempt: 1 }] });
  await stopped;
  await w2.stop(); // twice: fine
  expect(c.all("finished")).toMatchObject([{ task_id: "t1", exit_code: 0, error: "" }]);
  expect(c.last!.ended).toBe(true);
  expect(logLines.filter((l) => l.includes("worker")).join("")).not.toContain("may not have reached");
});

test("stop() kills tasks still running after the grace and reports the kill", async () => {
  const c = await fake();
  const w = worker(c, { shutdownGraceMs: 100 });
  await w.start();
  await waitFor("welcome", () => w.workerId);
  c.send(dispatch("t1", "sleep 30"));
  await waitFor("started", () => c.all("started").length === 1);
  const t0 = Date.now();
  await w.stop();
  expect(Date.now() - t0).toBeLessThan(3000);
  expect(c.all("finished")).toMatchObject([{ task_id: "t1", error: "cancelled: worker shutting down" }]);
  expect(c.all("finished")[0]!.exit_code).toBeUndefined();
  expect(c.last!.ended).toBe(true);
});

test("stop() with results still undelivered redials at once and delivers them if the coordinator is back in time", async () => {
  const c = await fake();
  const w = worker(c);
  await w.start();
  await waitFor("welcome", () => w.workerId);
  c.send(dispatch("t1", "sleep 0.2; echo late"));
  await waitFor("started", () => c.all("started").length === 1);
  const port = c.port;
  c.kill();
  await waitFor("the task to end while disconnected", () => logLines.some((l) => l.includes("task t1 attempt 1 completed")));
  // Let the backoff grow past what stop() could wait.
  await waitFor("a few failed redials", () => logLines.filter((l) => l.includes("cannot reach coordinator")).length >= 4, 5000);
  const stopped = w.stop();
  const back = await new FakeCoordinator().start(port);
  cleanups.push(() => back.kill());
  await stopped;
  expect(back.all("hello")[0]!.running.map((r) => r.task_id)).toEqual(["t1"]);
  expect(back.all("finished")).toMatchObject([{ task_id: "t1", attempt: 1, exit_code: 0 }]);
  expect(back.last!.ended).toBe(true);
});
