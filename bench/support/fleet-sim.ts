/**
 * A simulated fleet: `--workers` lightweight workers in one process, each holding a
 * real Connect stream to `--coordinator` (proto/task.proto, as src/worker does) with
 * concurrency 4. They run nothing: a Dispatch is answered at once with a TaskStarted
 * and a successful TaskFinished. Heartbeats go at the interval the Welcome asks for,
 * staggered. Workers share a gRPC channel `--per-channel` at a time, as a few hosts
 * with many workers would.
 *
 * Driven by the bench (bench/scenarios/fleet.ts) over stdin/stdout, one JSON object
 * per line. Commands: `stats` (per-worker task counts, held attempts, worker ids),
 * `reset` (zero the counts), `hold` (the first `n` workers stop finishing what they
 * are dispatched: they report it started and keep it running), `kill` (the held
 * workers vanish at once, as crashed hosts: streams cancelled, heartbeats stop).
 * Every answer is one line `{"ok":…}`.
 *
 * Run by hand: bun bench/support/fleet-sim.ts --coordinator=127.0.0.1:50051 --workers=100
 */
import { parseArgs } from "node:util";
import * as grpc from "@grpc/grpc-js";
import { CHANNEL_KEEPALIVE_OPTIONS } from "../../src/proto/credentials.ts";
import {
  createCoordinatorClient,
  onCoordinatorMessage,
  type ConnectClientStream,
  type CoordinatorClient,
  type CoordinatorMessageOutput,
  type RunningTask,
} from "../../src/proto/index.ts";
import { bearerTokenMetadata } from "../../src/proto/metadata.ts";

export const SIMULATED_CONCURRENCY = 4;

interface SimWorker {
  index: number;
  name: string;
  stream: ConnectClientStream | null;
  workerId: string;
  heartbeat: Timer | undefined;
  done: number;
  /** Attempts this worker reported started and keeps running (a held worker). */
  held: Map<string, RunningTask>;
  holding: boolean;
  dead: boolean;
}

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    coordinator: { type: "string" },
    workers: { type: "string", default: "500" },
    "per-channel": { type: "string", default: "25" },
    prefix: { type: "string", default: "sim" },
    token: { type: "string" },
  },
});

const address = values.coordinator ?? "127.0.0.1:50051";
const count = Number(values.workers);
const perChannel = Math.max(1, Number(values["per-channel"]));
const workers: SimWorker[] = [];
const clients: CoordinatorClient[] = [];

function clientFor(i: number): CoordinatorClient {
  const k = Math.floor(i / perChannel);
  // A local subchannel pool per client: each client is its own HTTP/2 connection, like a host.
  clients[k] ??= createCoordinatorClient(address, grpc.credentials.createInsecure(), {
    ...CHANNEL_KEEPALIVE_OPTIONS,
    "grpc.use_local_subchannel_pool": 1,
  });
  return clients[k]!;
}

function connect(w: SimWorker): void {
  const stream = clientFor(w.index).Connect(bearerTokenMetadata(values.token));
  w.stream = stream;
  stream.on("error", () => {});
  stream.on("end", () => {});
  onCoordinatorMessage(stream, (m) => onMessage(w, m));
  stream.write({ hello: { name: w.name, host: "fleet-sim", concurrency: SIMULATED_CONCURRENCY, queues: ["default"], version: "sim", pid: process.pid } });
}

function onMessage(w: SimWorker, m: CoordinatorMessageOutput): void {
  if (w.dead) return;
  if (m.welcome) {
    w.workerId = m.welcome.worker_id;
    const every = Math.max(10, m.welcome.heartbeat_ms);
    // Staggered, as independent workers would be.
    setTimeout(() => {
      if (w.dead) return;
      beat(w);
      w.heartbeat = setInterval(() => beat(w), every);
    }, Math.random() * every);
    return;
  }
  if (m.dispatch) {
    const { task_id, attempt } = m.dispatch;
    const now = Date.now();
    w.stream!.write({ started: { task_id, attempt, started_at_ms: now, pid: process.pid } });
    if (w.holding) {
      w.held.set(`${task_id}:${attempt}`, { task_id, attempt, started_at_ms: now });
      return;
    }
    w.stream!.write({ finished: { task_id, attempt, exit_code: 0, error: "", started_at_ms: now, finished_at_ms: now } });
    w.done++;
  }
  // Cancel (no longer current): a held attempt is dropped, reported as killed.
  if (m.cancel) {
    const key = `${m.cancel.task_id}:${m.cancel.attempt}`;
    if (!w.held.delete(key)) return;
    const now = Date.now();
    w.stream!.write({ finished: { task_id: m.cancel.task_id, attempt: m.cancel.attempt, error: "killed: cancel", started_at_ms: now, finished_at_ms: now } });
  }
}

function beat(w: SimWorker): void {
  if (w.dead || !w.stream) return;
  w.stream.write({ heartbeat: { running: [...w.held.values()], draining: false } });
}

function answer(ok: unknown): void {
  process.stdout.write(`${JSON.stringify({ ok })}\n`);
}

function command(line: string): void {
  const cmd = JSON.parse(line) as { cmd: string; n?: number };
  if (cmd.cmd === "stats") {
    const alive = workers.filter((w) => !w.dead);
    return answer({
      welcomed: alive.filter((w) => w.workerId).length,
      counts: alive.map((w) => w.done),
      held: workers.reduce((n, w) => n + w.held.size, 0),
      holdingFull: workers.filter((w) => w.holding && w.held.size >= SIMULATED_CONCURRENCY).length,
      holdingIds: workers.filter((w) => w.holding).map((w) => w.workerId),
    });
  }
  if (cmd.cmd === "reset") {
    for (const w of workers) w.done = 0;
    return answer(true);
  }
  if (cmd.cmd === "hold") {
    for (const w of workers.slice(0, cmd.n ?? 0)) w.holding = true;
    return answer(true);
  }
  if (cmd.cmd === "kill") {
    // A crashed host: the stream goes (the coordinator sees it cancelled) and no heartbeat follows.
    for (const w of workers.filter((x) => x.holding)) {
      w.dead = true;
      clearInterval(w.heartbeat);
      w.stream?.cancel();
    }
    return answer(true);
  }
  answer(false);
}

for (let i = 0; i < count; i++) {
  const w: SimWorker = { index: i, name: `${values.prefix}-${i}`, stream: null, workerId: "", heartbeat: undefined, done: 0, held: new Map(), holding: false, dead: false };
  workers.push(w);
  connect(w);
}

let buffer = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk: string) => {
  buffer += chunk;
  let nl: number;
  while ((nl = buffer.indexOf("\n")) >= 0) {
    const line = buffer.slice(0, nl).trim();
    buffer = buffer.slice(nl + 1);
    if (line) command(line);
  }
});
process.stdin.on("end", () => process.exit(0));
