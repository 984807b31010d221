/**
 * Slow and idle clients cannot hold the scheduler: a connection that sent its
 * headers and then trickles (or stops) its body is closed after the idle
 * timeout; only SSE responses live longer, and they are capped per process
 * (503 past --sse-max-connections), across /api/events and the dashboard's
 * /live streams alike. The total unread backlog of all streams is bounded too.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { connect, type Socket } from "node:net";
import { SseBudget } from "../../src/scheduler/sse-budget.ts";
import { freePort, startTaskflow, waitReady, type TaskflowProcess } from "../support/processes.ts";
import { migratedDataDirFlag } from "../support/databases.ts";

const IDLE_S = 2;
const SSE_MAX = 3;
const SLOW_CONNECTIONS = 300;

let p: TaskflowProcess;
let port: number;
let api: string;

beforeAll(async () => {
  port = freePort();
  api = `http://127.0.0.1:${port}`;
  p = startTaskflow([
    "--role=all",
    await migratedDataDirFlag(),
    `--http=127.0.0.1:${port}`,
    `--grpc=127.0.0.1:${freePort()}`,
    `--http-idle-timeout=${IDLE_S}`,
    `--sse-max-connections=${SSE_MAX}`,
  ], { env: { TASKFLOW_LOG_LEVEL: "warn" } });
  await waitReady(api, p, 30_000);
}, 40_000);

afterAll(async () => {
  p.kill();
  await p.exited;
});

/** Opens a connection that promises 5000 bytes of body and sends 6; resolves with when the server closed it. */
function slowBody(): Promise<{ socket: Socket; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(`POST /api/tasks HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"name`);
      resolve({ socket, closed });
    });
    const closed = new Promise<number>((done) => socket.on("close", () => done(Date.now())));
    socket.on("error", () => {});
    socket.once("error", reject);
  });
}

test(`${SLOW_CONNECTIONS} connections with a stalled body are all closed within the idle timeout`, async () => {
  const started = Date.now();
  const conns = await Promise.all(Array.from({ length: SLOW_CONNECTIONS }, () => slowBody()));
  const deadline = new Promise<"open">((r) => setTimeout(() => r("open"), (IDLE_S + 6) * 1000));
  const results = await Promise.all(conns.map((c) => Promise.race([c.closed, deadline])));
  for (const c of conns) c.socket.destroy();
  expect(results.filter((r) => r === "open")).toHaveLength(0);
  const latest = Math.max(...(results as number[]));
  expect(latest - started).toBeLessThan((IDLE_S + 6) * 1000);
  // The server still serves.
  expect((await fetch(`${api}/healthz`)).status).toBe(200);
}, 30_000);

test(`at most ${SSE_MAX} SSE streams per process (API and dashboard together); more get 503 JSON; streams outlive the idle timeout`, async () => {
  const controllers: AbortController[] = [];
  const open = async (path: string) => {
    const c = new AbortController();
    controllers.push(c);
    return fetch(`${api}${path}`, { signal: c.signal, headers: { accept: "text/event-stream" } });
  };
  try {
    const streams = [await open("/api/events"), await open("/live/overview"), await open("/api/events")];
    for (const s of streams) expect(s.status).toBe(200);
    const refused = await open("/live/workers");
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).not.toBeNull();
    expect((await refused.json()).error).toBe("too_many_streams");
    expect((await open("/api/events")).status).toBe(503);
    // HEAD of a stream answers at once (Elysia would read the never-ending body) and takes no slot.
    const head = await fetch(`${api}/api/events`, { method: "HEAD", signal: AbortSignal.timeout(3000) });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-type")).toStartWith("text/event-stream");
    // Ordinary requests are not affected by the cap.
    expect((await fetch(`${api}/api/tasks`)).status).toBe(200);

    // A stream stays open past the idle timeout (its keep-alives come every 15 s, far later).
    const reader = streams[0]!.body!.getReader();
    await reader.read();
    await Bun.sleep((IDLE_S + 1.5) * 1000);
    const next = await Promise.race([reader.read().then((r) => (r.done ? "ended" : "data")), Bun.sleep(500).then(() => "open")]);
    expect(next).not.toBe("ended");

    // Closing one frees its slot.
    controllers[0]!.abort();
    let again: Response | null = null;
    for (let i = 0; i < 100 && again?.status !== 200; i++) {
      await Bun.sleep(50);
      again = await open("/api/events");
    }
    expect(again!.status).toBe(200);
  } finally {
    for (const c of controllers) c.abort();
  }
}, 30_000);

test("the total backlog is bounded: past it, the streams holding unread events are cut off", () => {
  const budget = new SseBudget(10, 1024 * 1024);
  const fast = budget.acquire()!;
  const slow = [budget.acquire()!, budget.acquire()!, budget.acquire()!];
  expect(fast.report(100)).toBe(true);
  expect(slow[0]!.report(400 * 1024)).toBe(true);
  expect(slow[1]!.report(400 * 1024)).toBe(true);
  expect(budget.backlog).toBe(800 * 1024 + 100);
  // The third slow reader takes the sum past 1 MiB: it is cut off, a reader with a small backlog is not.
  expect(slow[2]!.report(400 * 1024)).toBe(false);
  expect(fast.report(200)).toBe(true);
  slow[2]!.release();
  slow[2]!.release();
  expect(budget.open).toBe(3);
  expect(budget.backlog).toBe(800 * 1024 + 200);
  expect(budget.acquire()).not.toBeNull();
});

test("the stream cap: acquire refuses past maxStreams until a slot is released", () => {
  const budget = new SseBudget(2);
  const a = budget.acquire()!;
  expect(budget.acquire()).not.toBeNull();
  expect(budget.acquire()).toBeNull();
  a.release();
  expect(budget.acquire()).not.toBeNull();
});
