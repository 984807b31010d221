// The in-memory Connect stream against the real thing: every message kind sent both
// ways over a grpc-js server and client on loopback and over an InProcessLink must
// arrive as the same objects, in order, and the call's ends (half-close, status,
// cancel, refusal, shutdown) must look to each side as they do with grpc-js.
import { afterEach, describe, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { CHANNEL_KEEPALIVE_OPTIONS, channelCredentials, SERVER_KEEPALIVE_OPTIONS, serverCredentials } from "./credentials";
import {
  type ConnectClientStream,
  type ConnectServerStream,
  type CoordinatorMessage,
  type CoordinatorMessageOutput,
  coordinatorService,
  createCoordinatorClient,
  type WorkerMessage,
  type WorkerMessageOutput,
} from "./index";
import { IN_PROCESS_PEER, InProcessLink } from "./in-process-link";
import { bearerTokenMetadata } from "./metadata";

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

const TASK = "0190a5f2-7c1e-7b3a-9c4d-1e2f3a4b5c6d";

/** One of each worker message, with set, unset and repeated fields, int64 and bytes. */
const WORKER_MESSAGES: WorkerMessage[] = [
  {
    hello: {
      name: "w1",
      host: "h",
      concurrency: 4,
      queues: ["default", "gpu"],
      version: "0.1.0",
      running: [{ task_id: TASK, attempt: 2, started_at_ms: 1_765_000_000_123 }],
      pid: 42,
      labels: { zone: "a" },
    },
  },
  { hello: { name: "bare" } },
  { heartbeat: { running: [], draining: true } },
  { heartbeat: {} },
  { started: { task_id: TASK, attempt: 1, started_at_ms: 1_765_000_000_123, pid: 7, spawned_at_us: 1_765_000_000_123_456 } },
  {
    finished: {
      task_id: TASK,
      attempt: 1,
      exit_code: 0,
      error: "",
      stdout_tail: Buffer.from("out\n"),
      stderr_tail: new Uint8Array([0xff, 0x00]),
      started_at_ms: 1_765_000_000_123,
      finished_at_ms: 1_765_000_000_456,
    },
  },
  { finished: { task_id: TASK, attempt: 3, error: "spawn failed" } },
  {
    output: {
      chunks: [
        { task_id: TASK, attempt: 1, stream: "OUTPUT_STREAM_STDERR", seq: 3, offset: 2 ** 40, data: Buffer.from("x"), dropped_bytes: 0 },
        { task_id: TASK, attempt: 1 },
      ],
    },
  },
  {},
];

/** One of each coordinator message. */
const COORDINATOR_MESSAGES: CoordinatorMessage[] = [
  { welcome: { worker_id: TASK, heartbeat_ms: 1000, worker_timeout_ms: 10_000 } },
  { dispatch: { task_id: TASK, attempt: 1, name: "n", command: "sh -c 'echo hi'", env: { A: "1" }, queue: "default", timeout_ms: 2 ** 33 } },
  { dispatch: { task_id: TASK, attempt: 2, command: "true" } },
  { cancel: { task_id: TASK, attempt: 1, reason: "cancelled by user" } },
  { drain: { reason: "asked" } },
  { drain: {} },
  { heartbeat_ack: {} },
  { resume: { reason: "back" } },
];

interface Exchange {
  /** What the coordinator read, then whether it saw the worker's end. */
  up: WorkerMessageOutput[];
  upEnded: boolean;
  /** What the worker read, then the status that ended the call. */
  down: CoordinatorMessageOutput[];
  status: grpc.StatusObject;
}

/**
 * The worker writes WORKER_MESSAGES and half-closes; the coordinator answers the first
 * message with COORDINATOR_MESSAGES and ends the call once the worker ended.
 */
async function exchange(open: (accept: (stream: ConnectServerStream) => void) => Promise<ConnectClientStream>): Promise<Exchange> {
  const result = { up: [] as WorkerMessageOutput[], upEnded: false, down: [] as CoordinatorMessageOutput[] };
  const stream = await open((call) => {
    call.on("data", (m: WorkerMessageOutput) => {
      if (result.up.length === 0) for (const c of COORDINATOR_MESSAGES) call.write(c);
      result.up.push(m);
    });
    call.on("end", () => {
      result.upEnded = true;
      call.end();
    });
  });
  stream.on("data", (m: CoordinatorMessageOutput) => result.down.push(m));
  const status = new Promise<grpc.StatusObject>((resolve) => stream.on("status", resolve));
  for (const m of WORKER_MESSAGES) stream.write(m);
  stream.end();
  const ended = await status;
  return { ...result, status: ended };
}

/** Over a real grpc-js server and client on loopback. */
async function overGrpc(accept: (stream: ConnectServerStream) => void): Promise<ConnectClientStream> {
  const server = new grpc.Server(SERVER_KEEPALIVE_OPTIONS);
  server.addService(coordinatorService, { Connect: accept });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", serverCredentials(), (e, p) => (e ? reject(e) : resolve(p))));
  cleanups.push(() => server.forceShutdown());
  const client = createCoordinatorClient(`127.0.0.1:${port}`, channelCredentials(), CHANNEL_KEEPALIVE_OPTIONS);
  cleanups.push(() => client.close());
  return client.Connect(bearerTokenMetadata(undefined), { deadline: Date.now() + 10_000 });
}

async function overLink(accept: (stream: ConnectServerStream) => void): Promise<ConnectClientStream> {
  const link = new InProcessLink();
  link.serve(accept);
  return link.connect();
}

/** A stream's "status", with the "error" that came before it (if any). */
function ending(stream: ConnectClientStream): Promise<{ status: grpc.StatusObject; error: (Error & grpc.StatusObject) | null }> {
  let error: (Error & grpc.StatusObject) | null = null;
  stream.on("error", (e: Error & grpc.StatusObject) => (error = e));
  return new Promise((resolve) => stream.on("status", (status: grpc.StatusObject) => resolve({ status, error })));
}

function withoutMetadata(status: grpc.StatusObject) {
  return { code: status.code, details: status.details };
}

describe("InProcessLink", () => {
  test("every message kind arrives both ways, in order, as grpc-js delivers it", async () => {
    const grpcSide = await exchange(overGrpc);
    const linkSide = await exchange(overLink);
    expect(grpcSide.up).toHaveLength(WORKER_MESSAGES.length);
    expect(grpcSide.down).toHaveLength(COORDINATOR_MESSAGES.length);
    // Same objects as grpc-js hands over: defaults, the oneof `body`, int64 as numbers, bytes as Buffer.
    expect(linkSide.up).toEqual(grpcSide.up);
    expect(linkSide.down).toEqual(grpcSide.down);
    expect(linkSide.up[5]!.finished!.stdout_tail).toBeInstanceOf(Buffer);
    expect(linkSide.down[1]!.dispatch!.timeout_ms).toBe(2 ** 33);
    expect(linkSide.up.map((m) => m.body)).toEqual(["hello", "hello", "heartbeat", "heartbeat", "started", "finished", "finished", "output", undefined] as never);
    expect(linkSide.upEnded).toBe(true);
    expect(withoutMetadata(linkSide.status)).toEqual(withoutMetadata(grpcSide.status));
    expect(linkSide.status.code).toBe(grpc.status.OK);
  });

  test("a message is delivered after the write returns, never inside it", async () => {
    const link = new InProcessLink();
    const seen: string[] = [];
    link.serve((call) => call.on("data", (m: WorkerMessageOutput) => seen.push(m.hello!.name)));
    const stream = link.connect();
    stream.write({ hello: { name: "a" } });
    stream.write({ hello: { name: "b" } });
    expect(seen).toEqual([]);
    await Promise.resolve();
    expect(seen).toEqual(["a", "b"]);
  });

  test("the coordinator sees the in-process peer with no token", async () => {
    const link = new InProcessLink();
    const calls: ConnectServerStream[] = [];
    link.serve((call) => calls.push(call));
    link.connect();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.getPeer()).toBe(IN_PROCESS_PEER);
    expect(calls[0]!.metadata.get("authorization")).toEqual([]);
  });

  test("the worker's cancel ends the call with CANCELLED and the coordinator sees cancelled", async () => {
    const link = new InProcessLink();
    let call!: ConnectServerStream;
    const cancelled = new Promise<void>((resolve) => link.serve((c) => ((call = c), c.on("cancelled", () => resolve()))));
    const stream = link.connect();
    const end = ending(stream);
    stream.cancel();
    const { status, error } = await end;
    await cancelled;
    expect(status.code).toBe(grpc.status.CANCELLED);
    expect(error?.code).toBe(grpc.status.CANCELLED);
    expect(call.cancelled).toBe(true);
    // A session writing to a cancelled call sends nothing (WorkerSession.send checks this).
    expect(call.destroyed || call.cancelled).toBe(true);
  });

  test("the coordinator's error status reaches the worker after the messages written before it", async () => {
    const link = new InProcessLink();
    let call!: ConnectServerStream;
    link.serve((c) => (call = c));
    const stream = link.connect();
    const down: CoordinatorMessageOutput[] = [];
    stream.on("data", (m: CoordinatorMessageOutput) => down.push(m));
    const end = ending(stream);
    call.write({ cancel: { task_id: TASK, attempt: 1, reason: "r" } });
    call.emit("error", { code: grpc.status.FAILED_PRECONDITION, details: "declared dead" });
    expect(call.write({ drain: {} })).toBe(false);
    const { status, error } = await end;
    expect(down.map((m) => m.body)).toEqual(["cancel"]);
    expect(withoutMetadata(status)).toEqual({ code: grpc.status.FAILED_PRECONDITION, details: "declared dead" });
    expect(error?.details).toBe("declared dead");
    expect(call.destroyed).toBe(true);
  });

  test("without a coordinator serving, a dial ends with UNAVAILABLE; serve(null) ends open calls so", async () => {
    const link = new InProcessLink();
    const refused = ending(link.connect());
    expect((await refused).status.code).toBe(grpc.status.UNAVAILABLE);

    let serverSawError = false;
    link.serve((c) => c.on("error", () => (serverSawError = true)));
    const open = ending(link.connect());
    link.serve(null);
    expect((await open).status.code).toBe(grpc.status.UNAVAILABLE);
    expect(serverSawError).toBe(true);
    expect((await ending(link.connect())).status.code).toBe(grpc.status.UNAVAILABLE);
  });

  test("nothing is delivered to the worker after its call ended, and its writes after end() are refused", async () => {
    const link = new InProcessLink();
    let call!: ConnectServerStream;
    const up: WorkerMessageOutput[] = [];
    link.serve((c) => ((call = c), c.on("data", (m: WorkerMessageOutput) => up.push(m))));
    const stream = link.connect();
    const down: CoordinatorMessageOutput[] = [];
    stream.on("data", (m: CoordinatorMessageOutput) => down.push(m));
    const end = ending(stream);
    stream.write({ heartbeat: {} });
    stream.end();
    expect(stream.write({ heartbeat: {} })).toBe(false);
    await Promise.resolve();
    call.end();
    expect(call.write({ heartbeat_ack: {} })).toBe(false);
    expect((await end).status.code).toBe(grpc.status.OK);
    expect(up).toHaveLength(1);
    expect(down).toEqual([]);
  });

  test("a burst past the high-water mark reports congestion until it is delivered", async () => {
    const link = new InProcessLink();
    link.serve(() => {});
    const stream = link.connect();
    for (let i = 0; i < 15; i++) stream.write({ heartbeat: {} });
    expect(stream.writableNeedDrain).toBe(false);
    stream.write({ heartbeat: {} });
    expect(stream.writableNeedDrain).toBe(true);
    await Promise.resolve();
    expect(stream.writableNeedDrain).toBe(false);
  });
});
