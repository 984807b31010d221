// The gRPC contract end to end: a real grpc-js server and client on loopback, the
// Connect stream round-tripping every kind of field, the token metadata, TLS and
// mutual TLS with throwaway certificates, and generated types matching the proto.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import * as grpc from "@grpc/grpc-js";
import {
  CHANNEL_KEEPALIVE_OPTIONS,
  channelCredentials,
  SERVER_KEEPALIVE_OPTIONS,
  serverCredentials,
  type TlsFiles,
} from "./credentials";
import {
  type ConnectClientStream,
  type ConnectServerStream,
  type CoordinatorHandlers,
  type CoordinatorMessageOutput,
  coordinatorService,
  createCoordinatorClient,
  onCoordinatorMessage,
  onWorkerMessage,
  type WorkerMessageOutput,
} from "./index";
import { bearerTokenMetadata, hasBearerToken, readBearerToken } from "./metadata";

const ROOT = join(import.meta.dir, "../..");
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** Starts a Coordinator server on 127.0.0.1, a free port; stopped after the test. Returns its port. */
async function startServer(handlers: CoordinatorHandlers, credentials = serverCredentials()): Promise<number> {
  const server = new grpc.Server(SERVER_KEEPALIVE_OPTIONS);
  server.addService(coordinatorService, handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", credentials, (error, port) => (error ? reject(error) : resolve(port))),
  );
  cleanups.push(() => server.forceShutdown());
  return port;
}

/** Opens a Connect stream (5 s deadline) on a new client; closed after the test. */
function connect(address: string, credentials = channelCredentials(), token?: string): ConnectClientStream {
  const client = createCoordinatorClient(address, credentials, CHANNEL_KEEPALIVE_OPTIONS);
  cleanups.push(() => client.close());
  const stream = client.Connect(bearerTokenMetadata(token), { deadline: Date.now() + 5_000 });
  cleanups.push(() => stream.cancel());
  return stream;
}

/** Hands out the messages coming down a Connect stream in order; rejects once it fails. */
function reader(stream: ConnectClientStream): () => Promise<CoordinatorMessageOutput> {
  type Waiter = { resolve: (message: CoordinatorMessageOutput) => void; reject: (error: Error) => void };
  const buffered: CoordinatorMessageOutput[] = [];
  const waiting: Waiter[] = [];
  let failure: Error | undefined;
  onCoordinatorMessage(stream, (message) => (waiting.length ? waiting.shift()!.resolve(message) : buffered.push(message)));
  stream.on("error", (error: Error) => {
    failure = error;
    for (const waiter of waiting.splice(0)) waiter.reject(error);
  });
  return () => {
    if (buffered.length) return Promise.resolve(buffered.shift()!);
    if (failure) return Promise.reject(failure);
    return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  };
}

/**
 * The kind of the first message down the stream, or the status code it failed with.
 * (Not `expect(promise).rejects`: in Bun 1.4.5 it stalls network I/O while it waits.)
 */
function firstReply(stream: ConnectClientStream): Promise<string | undefined | grpc.status> {
  return reader(stream)().then((message) => message.body, (error: grpc.ServiceError) => error.code);
}

/** A server that welcomes each Hello and records everything it receives. */
function welcomingHandlers(received: WorkerMessageOutput[], onHello?: (call: ConnectServerStream) => void) {
  const handlers: CoordinatorHandlers = {
    Connect(call) {
      onWorkerMessage(call, (message) => {
        // `message` is typed WorkerMessageOutput, not any: a wrong field fails tsc.
        // @ts-expect-error no such field
        void message.not_a_field;
        received.push(message);
        if (!message.hello) return;
        call.write({ welcome: { worker_id: "w-1", heartbeat_ms: 2000 } });
        onHello?.(call);
      });
      call.on("end", () => call.end());
    },
  };
  return handlers;
}

test("Connect round-trips messages with int64, maps, oneofs, optional presence and bytes", async () => {
  const received: WorkerMessageOutput[] = [];
  const port = await startServer(
    welcomingHandlers(received, (call) =>
      call.write({
        dispatch: { task_id: "t-1", attempt: 2, name: "n", command: "echo hi", env: { A: "1", B: "two words" }, queue: "default", timeout_ms: 5_000_000_000 },
      }),
    ),
  );
  const stream = connect(`127.0.0.1:${port}`);
  const next = reader(stream);
  stream.write({
    hello: { name: "w", host: "h", concurrency: 4, queues: ["default", "q2"], version: "0.1.0", pid: 42, running: [{ task_id: "t-0", attempt: 1, started_at_ms: 1_700_000_000_123 }] },
  });

  const welcome = await next();
  expect(welcome.body).toBe("welcome");
  expect(welcome.welcome).toEqual({ worker_id: "w-1", heartbeat_ms: 2000, worker_timeout_ms: 0 });
  const dispatch = await next();
  expect(dispatch.body).toBe("dispatch");
  expect(dispatch.dispatch).toEqual({ task_id: "t-1", attempt: 2, name: "n", command: "echo hi", env: { A: "1", B: "two words" }, queue: "default", timeout_ms: 5_000_000_000 });
  expect(typeof dispatch.dispatch!.timeout_ms).toBe("number"); // int64 beyond 2^32, as a plain number

  const tail = Buffer.from([0x00, 0xff, 0x0a, 0x80]);
  stream.write({ finished: { task_id: "t-1", attempt: 2, error: "killed by SIGKILL", stdout_tail: tail, started_at_ms: 1, finished_at_ms: 2 } });
  stream.write({ finished: { task_id: "t-1", attempt: 3, exit_code: 0, started_at_ms: 3, finished_at_ms: 4 } });
  stream.end();
  await new Promise((resolve) => stream.on("status", resolve));

  const [hello, killed, succeeded] = received;
  expect(hello!.body).toBe("hello");
  expect(hello!.hello).toEqual({
    name: "w", host: "h", concurrency: 4, queues: ["default", "q2"], version: "0.1.0", pid: 42,
    running: [{ task_id: "t-0", attempt: 1, started_at_ms: 1_700_000_000_123 }], previous_worker_id: "", draining: false, labels: {},
  });
  expect(killed!.body).toBe("finished");
  expect(killed!.finished!.exit_code).toBeUndefined();
  expect("exit_code" in killed!.finished!).toBe(false);
  expect(Buffer.isBuffer(killed!.finished!.stdout_tail)).toBe(true);
  expect(killed!.finished!.stdout_tail.equals(tail)).toBe(true);
  expect(killed!.finished!.stderr_tail.length).toBe(0);
  expect(succeeded!.finished!.exit_code).toBe(0);
  expect(succeeded!.finished!._exit_code).toBe("exit_code");
  expect(succeeded!.finished!.finished_at_ms).toBe(4);
});

test("the bearer token travels as metadata and a wrong one is refused", async () => {
  const tokens: Array<string | undefined> = [];
  const port = await startServer({
    Connect(call) {
      tokens.push(readBearerToken(call.metadata));
      if (!hasBearerToken(call.metadata, "s3cret")) {
        call.emit("error", { code: grpc.status.UNAUTHENTICATED, details: "missing or bad token" });
        return;
      }
      call.write({ welcome: { worker_id: "w-1" } });
    },
  });
  const address = `127.0.0.1:${port}`;
  expect(await firstReply(connect(address, undefined, "s3cret"))).toBe("welcome");
  expect(await firstReply(connect(address, undefined, "wrong"))).toBe(grpc.status.UNAUTHENTICATED);
  expect(await firstReply(connect(address))).toBe(grpc.status.UNAUTHENTICATED);
  expect(tokens).toEqual(["s3cret", "wrong", undefined]);
});

describe("TLS", () => {
  let dir = "";
  const pem = (name: string) => join(dir, name);
  /** Runs openssl in the temp dir, failing loudly. */
  const openssl = (...args: string[]) => {
    const result = Bun.spawnSync(["openssl", ...args], { cwd: dir, stderr: "pipe" });
    if (result.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr.toString()}`);
  };
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  /** Issues NAME.crt/NAME.key signed by the test CA, with the given extensions. */
  const issue = (name: string, extensions: string) => {
    writeFileSync(pem(`${name}.ext`), extensions);
    openssl("req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`);
    openssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1", "-out", `${name}.crt`, "-extfile", `${name}.ext`);
  };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "taskflow-tls-"));
    serverTls = { cert: pem("server.crt"), key: pem("server.key") };
    clientTls = { cert: pem("client.crt"), key: pem("client.key"), ca: pem("ca.crt") };
    openssl("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=taskflow test CA");
    issue("server", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
    issue("client", "extendedKeyUsage=clientAuth\n");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let serverTls: TlsFiles = {};
  let clientTls: TlsFiles = {};

  test("a TLS client is served; plaintext and untrusting clients are refused", async () => {
    // A host name, not 127.0.0.1: TLS in Bun cannot target an IP address (see createCoordinatorClient).
    const address = `localhost:${await startServer(welcomingHandlers([]), serverCredentials(serverTls))}`;
    const tls = connect(address, channelCredentials({ ca: clientTls.ca }));
    tls.write({ hello: { name: "w" } });
    expect(await firstReply(tls)).toBe("welcome");
    const plain = connect(address);
    plain.write({ hello: { name: "w" } });
    expect(await firstReply(plain)).toBe(grpc.status.UNAVAILABLE);
    // Without the CA the client falls back to the system roots and must not trust the server.
    const untrusting = connect(address, channelCredentials({ cert: clientTls.cert, key: clientTls.key }));
    expect(await firstReply(untrusting)).toBe(grpc.status.UNAVAILABLE);
  });

  test("mutual TLS serves a client with a CA-signed certificate and refuses one without", async () => {
    const address = `localhost:${await startServer(welcomingHandlers([]), serverCredentials({ ...serverTls, ca: pem("ca.crt") }))}`;
    const mutual = connect(address, channelCredentials(clientTls));
    mutual.write({ hello: { name: "w" } });
    expect(await firstReply(mutual)).toBe("welcome");
    const anonymous = connect(address, channelCredentials({ ca: clientTls.ca }));
    anonymous.write({ hello: { name: "w" } });
    expect(await firstReply(anonymous)).toBe(grpc.status.UNAVAILABLE);
  });

  test("incomplete TLS files, unreadable ones and TLS to an IP address fail with a clear message", () => {
    expect(() => serverCredentials({ cert: serverTls.cert })).toThrow(/certificate and a key/);
    expect(() => channelCredentials({ key: clientTls.key })).toThrow(/needs its key/);
    expect(() => serverCredentials({ cert: pem("nope.crt"), key: serverTls.key })).toThrow(/certificate file ".*nope\.crt"/);
    expect(() => createCoordinatorClient("10.0.0.5:50051", channelCredentials({ ca: clientTls.ca }))).toThrow(/host name .* not the IP address 10\.0\.0\.5/);
    expect(() => createCoordinatorClient("[::1]:50051", channelCredentials({ ca: clientTls.ca }))).toThrow(/IP address ::1/);
  });
});

test("generated types are up to date with proto/task.proto (npm run proto)", () => {
  const outDir = mkdtempSync(join(tmpdir(), "taskflow-proto-"));
  cleanups.push(() => rmSync(outDir, { recursive: true, force: true }));
  const script: string = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts.proto;
  const result = Bun.spawnSync(["sh", "-c", script.replaceAll("src/proto/generated", outDir)], {
    cwd: ROOT,
    env: { ...process.env, PATH: `${join(ROOT, "node_modules/.bin")}:${process.env.PATH}` },
    stderr: "pipe",
  });
  expect(result.stderr.toString()).toBe("");
  expect(result.exitCode).toBe(0);
  const snapshot = (dir: string) =>
    Object.fromEntries(
      readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => [relative(dir, join(entry.parentPath, entry.name)), readFileSync(join(entry.parentPath, entry.name), "utf8")]),
    );
  expect(snapshot(join(ROOT, "src/proto/generated"))).toEqual(snapshot(outDir));
});
