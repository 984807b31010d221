// Chaos 7, database restart: while tasks run and a client keeps submitting, the
// PostgreSQL server restarts (-m fast), stops (-m fast) for 15 s as a restart does on
// a slow machine, then stops (-m immediate) for 10 s and starts again. While it is
// down the API answers 503 quickly (no 500, no hang); no live worker is declared
// dead and no attempt is retried as lost; every task that got a 201 is there
// afterwards and finishes; every process carries on without a restart, LISTEN
// included (dispatch on NOTIFY, cancel relay, SSE feed).
//
// The server is the test's own (private-postgres.ts), so other tests on the shared
// server carry on meanwhile. Limits that depend on the machine's speed derive from
// what the test measures before the faults.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { ChaosCluster, percentile, randomInt } from "./chaos-cluster.ts";
import { ledgerCommand, readLedger } from "./ledger.ts";
import { PrivatePostgres } from "./private-postgres.ts";
import { TcpProxy } from "./tcp-proxy.ts";
import { recordResult, summary } from "./report.ts";
import { bySize, WORKER_TIMEOUT_MS } from "./sizes.ts";
import { waitFor } from "../support/processes.ts";

const TASKS = bySize(5000, 500);
const WORKERS = 4;
const SLOTS = 8;
const SLEEP_MS = [500, 3000];
/** The immediate stop's downtime (a crash, for clients). */
const DOWN_MS = 10_000;
/** A fast stop held down this long: what `restart -m fast` takes on a slow machine (a long shutdown checkpoint). */
const SLOW_RESTART_MS = 15_000;
/**
 * After the slow restart, the second coordinator's database link stays cut this much
 * longer (a coordinator slow to reconnect): longer than a worker timeout, so its
 * workers' heartbeats go unrecorded while the other coordinator already judges.
 */
const LAGGING_COORDINATOR_MS = 3 * WORKER_TIMEOUT_MS;
/** A request slower than this counts as a hang (the client gives up). */
const HANG_MS = 10_000;
/** No answer while the database is down may take longer than this (the gate's design bound is ~2 s). */
const ANSWER_WHILE_DOWN_MS = 5000;
/** Tasks that must complete between two faults, so each fault hits a cluster that is working again. */
const PROGRESS_BETWEEN_FAULTS = bySize(100, 20);

const TESTS = 1;
let server: PrivatePostgres;
/** The second coordinator's link to the database. */
let laggingLink: TcpProxy;
let cluster: ChaosCluster;
/** Tests that passed; the run folder is removed only when all did. */
let passed = 0;

beforeAll(async () => {
  server = await PrivatePostgres.start();
  cluster = await ChaosCluster.start({ name: "dbrestart", coordinators: 1, serverUrl: server.url });
  laggingLink = new TcpProxy("127.0.0.1", server.port);
  const viaLink = new URL(cluster.databaseUrl);
  viaLink.port = String(await laggingLink.start());
  await cluster.startCoordinator({ databaseUrl: viaLink.toString() });
});

afterAll(async () => {
  laggingLink?.heal();
  await server?.ensureRunning();
  await cluster?.stop();
  await laggingLink?.stop();
  await server?.destroy();
  if (passed === TESTS && !process.env.TASKFLOW_CHAOS_KEEP) cluster?.removeFiles();
  else if (cluster) console.log(`chaos logs kept in ${cluster.dir}`);
});

interface Answer {
  at: number;
  ms: number;
  status: number | "hang" | "network error";
}

/** Submits one task every `everyMs` until stopped, recording every answer. */
class SteadyClient {
  readonly answers: Answer[] = [];
  readonly accepted: string[] = [];
  #stopped = false;
  #loop: Promise<void> | null = null;

  constructor(private readonly c: ChaosCluster, private readonly everyMs: number) {}

  start(): void {
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
  }

  async #run(): Promise<void> {
    for (let i = 0; !this.#stopped; i++) {
      const at = Date.now();
      let status: Answer["status"];
      try {
        const r = await fetch(`${this.c.api}/api/tasks`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ name: `steady ${i}`, command: ledgerCommand({ sleep: 0.2 }), env: this.c.ledgerEnv, max_retries: 20, backoff_ms: 100 }),
          signal: AbortSignal.timeout(HANG_MS),
        });
        status = r.status;
        const body = (await r.json()) as { id?: string };
        if (r.status === 201 && body.id) this.accepted.push(body.id);
      } catch (err) {
        status = (err as Error).name === "TimeoutError" ? "hang" : "network error";
      }
      this.answers.push({ at, ms: Date.now() - at, status });
      await Bun.sleep(Math.max(0, this.everyMs - (Date.now() - at)));
    }
  }
}

async function waitPostgres(ready: boolean, timeoutMs = 60_000): Promise<number> {
  const t0 = Date.now();
  await waitFor(`PostgreSQL to be ${ready ? "up" : "down"}`, async () => (await server.ready()) === ready, timeoutMs, 50);
  return Date.now() - t0;
}

/** Submits a probe task on `queue` and returns how long it waited to be picked (created → picked, by the database clock). */
async function probeDispatch(queue: string): Promise<number> {
  const id = await cluster.submit({ name: `probe ${queue}`, command: ledgerCommand({ sleep: 0 }), env: cluster.ledgerEnv, queue });
  await waitFor(`probe ${id} to complete`, async () => (await cluster.sql<{ status: string }[]>`select status from tasks where id = ${id}`)[0]?.status === "completed", 10_000);
  const r = await cluster.sql<{ ms: number }[]>`select (extract(epoch from (picked_at - created_at)) * 1000)::float8 as ms from tasks where id = ${id}`;
  return r[0]!.ms;
}

test(`database restart: ${TASKS} tasks through a fast restart, a ${SLOW_RESTART_MS} ms fast stop and a ${DOWN_MS} ms immediate stop`, async () => {
  const [a, b] = cluster.coordinatorAddresses as [string, string];
  const names = Array.from({ length: WORKERS }, (_, i) => `dbw-${i + 1}`);
  names.forEach((n, i) => cluster.startWorker(n, { concurrency: SLOTS, coordinators: i % 2 ? [b, a] : [a, b] }));
  // One probe worker per coordinator, on its own queue, to check each coordinator's LISTEN afterwards.
  cluster.startWorker("probe-a", { concurrency: 1, queues: "probe-a", coordinators: [a] });
  cluster.startWorker("probe-b", { concurrency: 1, queues: "probe-b", coordinators: [b] });
  for (const n of [...names, "probe-a", "probe-b"]) await cluster.waitWorkerAlive(n);
  // What this machine takes, measured before any fault: the limits after the faults derive from these.
  const spawnMs = await measureSpawnMs();
  const before = { a: await probeDispatch("probe-a"), b: await probeDispatch("probe-b") };

  const tasks = Array.from({ length: TASKS }, (_, i) => ({
    name: `db ${i}`,
    command: ledgerCommand({ sleep: (randomInt(SLEEP_MS[0]!, SLEEP_MS[1]!) / 1000).toFixed(2) }),
    env: cluster.ledgerEnv,
    max_retries: 20,
    backoff_ms: 100,
    backoff_factor: 1.5,
    backoff_max_ms: 1000,
  }));
  const batchAccepted = await cluster.submitBatch(tasks);
  const client = new SteadyClient(cluster, 100);
  client.start();
  const downs: Array<{ kind: string; from: number; to: number; downMs: number; recoveredMs: number }> = [];
  /** Runs one outage, records it as a fault on every worker, then waits for the API and for tasks to flow again. */
  const outage = async (kind: string, act: () => Promise<void>) => {
    await waitProgress(PROGRESS_BETWEEN_FAULTS);
    const from = Date.now();
    await act();
    const downMs = Date.now() - from;
    await waitPostgres(true);
    await cluster.waitApiReady(60_000);
    downs.push({ kind, from, to: Date.now(), downMs, recoveredMs: Date.now() - from });
    cluster.fault(`database ${kind}`, "*", from, Date.now());
  };
  try {
    await outage("restart -m fast", () => server.restart());
    await outage(`stop -m fast, ${SLOW_RESTART_MS} ms down, start; coordinator 2 back ${LAGGING_COORDINATOR_MS} ms later`, async () => {
      laggingLink.cut();
      await server.stop("fast");
      await Bun.sleep(SLOW_RESTART_MS); // the outage itself, not a synchronization
      await server.start();
      await cluster.waitApiReady(60_000);
      await Bun.sleep(LAGGING_COORDINATOR_MS); // the lag itself, not a synchronization
      laggingLink.heal();
    });
    await outage(`stop -m immediate, ${DOWN_MS} ms down, start`, async () => {
      await server.stop("immediate");
      await Bun.sleep(DOWN_MS); // the outage itself, not a synchronization
      await server.start();
    });
    await waitProgress(PROGRESS_BETWEEN_FAULTS);
  } finally {
    await server.ensureRunning();
    await client.stop();
  }

  const accepted = [...batchAccepted, ...client.accepted];
  // Enough for the whole backlog at a quarter of the slots' pace, plus every spawn: generous on a slow machine.
  const meanSleepMs = (SLEEP_MS[0]! + SLEEP_MS[1]!) / 2;
  const finishMs = 120_000 + (4 * accepted.length * (meanSleepMs + spawnMs)) / (WORKERS * SLOTS);
  const counts = await cluster.waitAllFinished(finishMs);
  const report = await cluster.check(accepted);
  // A 503 can hide a committed submission (the commit's answer lost with the connection):
  // such tasks exist without a 201, and must run like any other.
  const createdWithout201 = report.tasks.size - accepted.length;

  // LISTEN after the restarts: dispatch on NOTIFY (well under the 2 s fallback poll) through each coordinator,
  const after = { a: [] as number[], b: [] as number[] };
  for (let i = 0; i < 5; i++) {
    after.a.push(await probeDispatch("probe-a"));
    after.b.push(await probeDispatch("probe-b"));
  }
  // the cancel relay (a cancel reaches the running process at once),
  const cancelId = await cluster.submit({ name: "cancel me", command: ledgerCommand({ sleep: 60 }), env: cluster.ledgerEnv, queue: "probe-a" });
  await waitFor("the task to run", () => readLedger(cluster.ledgerPath).runs.some((r) => r.taskId === cancelId));
  const cancelAt = Date.now();
  expect((await fetch(`${cluster.api}/api/tasks/${cancelId}/cancel`, { method: "POST" })).status).toBe(200);
  await waitFor("the cancelled run to stop", () => readLedger(cluster.ledgerPath).runs.find((r) => r.taskId === cancelId)?.outcome === "term", 5000);
  const cancelMs = Date.now() - cancelAt;
  // and the scheduler's change feed (SSE).
  const sseOk = await sseSeesNewTask();

  const during = client.answers.filter((x) => downs.some((d) => x.at >= d.from && x.at <= d.to));
  const byStatus: Record<string, number> = {};
  for (const x of client.answers) byStatus[String(x.status)] = (byStatus[String(x.status)] ?? 0) + 1;
  const unavailable = client.answers.filter((x) => x.status === 503);
  const processes = [cluster.scheduler, ...cluster.coordinators, ...cluster.workers.values()];
  const workerDeaths = cluster.coordinatorLog().split("declared dead").length - 1;
  const lostRetries = Object.entries(report.stats.retryReasons).filter(([reason]) => reason.includes("lost") || reason.includes("no longer had"));
  recordResult("database-restart", {
    tasks: TASKS,
    spawnMs,
    steadySubmitted: client.answers.length,
    steadyAccepted: client.accepted.length,
    answersByStatus: byStatus,
    createdWithout201,
    slowAnswers: client.answers.filter((x) => x.ms > 1000).map((x) => ({ ...x, at: new Date(x.at).toISOString() })),
    answerMsWhileDown: summary(during.map((x) => x.ms)),
    answerMs503: summary(unavailable.map((x) => x.ms)),
    downs,
    dispatchMsBefore: before,
    dispatchMsAfter: { a: summary(after.a), b: summary(after.b) },
    cancelMsAfter: cancelMs,
    sseAfter: sseOk,
    workerDeaths,
    counts,
    stats: report.stats,
  });
  expect(report.violations).toEqual([]);
  expect(counts).toEqual({ completed: report.tasks.size });
  expect(createdWithout201).toBeLessThanOrEqual(client.answers.filter((x) => x.status !== 201).length);
  // Only 201s and 503s: no 500, and no request left hanging until the client gave up;
  // while the database is down, every answer comes within the bound (the tail is reported above).
  expect(Object.keys(byStatus).sort()).toEqual(["201", "503"]);
  expect(Math.max(...client.answers.map((x) => x.ms))).toBeLessThan(HANG_MS);
  expect(Math.max(...during.map((x) => x.ms))).toBeLessThan(ANSWER_WHILE_DOWN_MS);
  expect(unavailable.length).toBeGreaterThan(0);
  // Every worker lived throughout: none was declared dead, and no attempt was retried as lost.
  expect(workerDeaths).toBe(0);
  expect(lostRetries).toEqual([]);
  // Nobody restarted: one pid per process, all still running.
  for (const p of processes) {
    expect(p.pids).toHaveLength(1);
    expect(p.running).toBe(true);
  }
  // Dispatch on NOTIFY and the cancel relay work as they did before the faults (limits scale with what was measured then).
  expect(Math.max(...after.a, ...after.b)).toBeLessThan(Math.max(1000, 10 * Math.max(before.a, before.b)));
  expect(cancelMs).toBeLessThan(3000 + 10 * spawnMs);
  expect(sseOk).toBe("ok");
  passed++;
}, bySize(1_800_000, 600_000));

/** Waits until `n` more tasks have completed than now (the cluster is making progress). */
async function waitProgress(n: number): Promise<void> {
  const done = async () => (await cluster.statusCounts()).completed ?? 0;
  const target = (await done()) + n;
  await waitFor(`${n} more tasks to complete`, async () => (await done()) >= target, 120_000, 100);
}

/** How long one `/bin/sh -c true` takes to spawn and exit here (median of 20): forking is slow on some machines. */
async function measureSpawnMs(): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    await Bun.spawn(["/bin/sh", "-c", "true"]).exited;
    times.push(performance.now() - t0);
  }
  return percentile(times, 50);
}

/**
 * Submits a task with GET /api/events open; "ok" when the task's event arrives within 10 s,
 * else what went wrong. An open refused with 503 (the scheduler's database gate, whose probe
 * can time out on a loaded machine) is tried again: the check is the change feed, not the gate.
 */
async function sseSeesNewTask(): Promise<string> {
  const ac = new AbortController();
  const deadline = Date.now() + 10_000;
  const timer = setTimeout(() => ac.abort(), 10_000);
  let stage = "opening /api/events";
  try {
    let r = await fetch(`${cluster.api}/api/events`, { signal: ac.signal });
    while (r.status === 503 && Date.now() < deadline) {
      await r.body?.cancel();
      await Bun.sleep(100);
      r = await fetch(`${cluster.api}/api/events`, { signal: ac.signal });
    }
    if (r.status !== 200) return `/api/events answered ${r.status}`;
    const reader = r.body!.getReader();
    stage = "submitting the probe";
    const id = await cluster.submit({ name: "sse probe", command: "true", queue: "probe-b" });
    stage = `waiting for task ${id} on the stream`;
    const decoder = new TextDecoder();
    let text = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return `the stream ended while ${stage}`;
      text += decoder.decode(value, { stream: true });
      if (text.includes(id)) return "ok";
    }
  } catch (err) {
    return `${stage}: ${(err as Error).message}`;
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
}
