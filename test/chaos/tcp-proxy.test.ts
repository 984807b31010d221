// The chaos proxy against a tiny echo server: forwards, holds bytes silently while
// cut (per direction), delivers them on heal, and delays new connections during a cut.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { TcpProxy } from "./tcp-proxy.ts";

let echo: Server;
let echoPort: number;
let upstreamConnections = 0;
/** Everything the echo server received, per connection. */
let received: string[] = [];
/** The echo server's end of each connection. */
let serverSide: Socket[] = [];
let proxy: TcpProxy;
const clients: Socket[] = [];

beforeEach(async () => {
  upstreamConnections = 0;
  received = [];
  serverSide = [];
  echo = createServer((s) => {
    serverSide.push(s);
    const i = upstreamConnections++;
    received[i] = "";
    s.on("data", (d) => {
      received[i] += d.toString();
      s.write(d);
    });
    s.on("error", () => {});
  });
  await new Promise<void>((r) => echo.listen(0, "127.0.0.1", () => r()));
  echoPort = (echo.address() as { port: number }).port;
  proxy = new TcpProxy("127.0.0.1", echoPort);
  await proxy.start();
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await proxy.stop();
  await new Promise<void>((r) => echo.close(() => r()));
});

/** A client through the proxy that collects what comes back. */
async function client(): Promise<{ socket: Socket; got: () => string }> {
  const socket = createConnection({ host: "127.0.0.1", port: proxy.port });
  clients.push(socket);
  let got = "";
  socket.on("data", (d) => (got += d.toString()));
  socket.on("error", () => {});
  await new Promise<void>((r) => socket.once("connect", () => r()));
  return { socket, got: () => got };
}

async function until(what: string, check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

test("forwards both ways while healthy", async () => {
  const c = await client();
  c.socket.write("hello");
  await until("the echo", () => c.got() === "hello");
  expect(received[0]).toBe("hello");
});

test("a cut up link holds the client's bytes silently; heal delivers them", async () => {
  const c = await client();
  c.socket.write("a");
  await until("the first echo", () => c.got() === "a");
  proxy.cut("up");
  c.socket.write("b");
  await Bun.sleep(100);
  expect(received[0]).toBe("a");
  expect(c.socket.destroyed).toBe(false);
  proxy.heal();
  await until("the held bytes", () => c.got() === "ab");
});

test("a cut down link lets the server receive but holds its answers", async () => {
  const c = await client();
  proxy.cut("down");
  c.socket.write("x");
  await until("the server to receive", () => received[0] === "x");
  await Bun.sleep(100);
  expect(c.got()).toBe("");
  proxy.heal();
  await until("the held answer", () => c.got() === "x");
});

test("during a cut a new connection gets no upstream until heal", async () => {
  proxy.cut();
  const c = await client();
  c.socket.write("late");
  await Bun.sleep(100);
  expect(upstreamConnections).toBe(0);
  proxy.heal();
  await until("the echo after heal", () => c.got() === "late");
  expect(upstreamConnections).toBe(1);
});

test("a close behind a cut waits for the heal", async () => {
  const c = await client();
  c.socket.write("1");
  await until("the echo", () => c.got() === "1");
  let clientClosed = false;
  c.socket.on("close", () => (clientClosed = true));
  proxy.cut("down");
  // The server hangs up; the client must not learn it during the cut.
  for (const s of serverSide) s.end();
  await Bun.sleep(100);
  expect(clientClosed).toBe(false);
  proxy.heal();
  await until("the close to reach the client", () => clientClosed);
});
