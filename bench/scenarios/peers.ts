/**
 * peers: taskflow side by side with graphile-worker and pg-boss in the same run,
 * each on a fresh database, each with its documented best settings (see
 * bench/peers/driver.mjs), every job `/bin/sh -c true`, C in flight, VACUUM ANALYZE
 * after every system's warm-up. Four figures:
 *
 * - end to end: N jobs submitted 1,000 per call, first submit to last end;
 * - submit → start at a steady rate every system sustains (a third of the slower of
 *   Bun's and Node's spawn rates), open loop: taskflow's start is the worker's own
 *   stamp of the spawn (the attempt's spawned_at), a peer's is its job body's stamp;
 * - bulk submit, 1,000 per call from 4 clients (nothing runs); taskflow twice: with the
 *   answer SPEC §3 gives (every task in full) and with `Prefer: return=minimal` (the ids);
 * - single submit from 16 concurrent clients (nothing runs).
 *
 * Systems alternate within each round, and the order turns between rounds, so a
 * burst of load on the shared machine does not land on one system only. With
 * --smoke (CI) or --no-peers only taskflow runs and a note says so.
 */
import { rawSpawnRate } from "../baselines/spawn-rate.ts";
import { inLanes, submitInBatches, submitOne, type BatchAnswer, type TaskBody } from "../support/api-client.ts";
import { type BenchContext, withCluster, withDatabase } from "../support/context.ts";
import type { PeerFigure } from "../support/options.ts";
import { ensurePeers, nodeSpawnRate, PEERS, runPeer, type Peer } from "../support/peers.ts";
import { atLeastRatio, atMostRatio, fmt, progress, summary } from "../support/report.ts";
import { createScratchDatabase, vacuumAnalyze, type ScratchDatabase } from "../support/scratch-database.ts";
import type { ClusterMode } from "../support/taskflow-processes.ts";
import { LATENCY_STAGES, measureLatency, type LatencyStage } from "./latency.ts";
import { measureThroughput } from "./throughput.ts";

type System = "taskflow --role=all" | "taskflow separate" | Peer;
const TASKFLOW: Record<ClusterMode, System> = { all: "taskflow --role=all", split: "taskflow separate" };
const BATCH = 1000;
const BULK_CLIENTS = 4;

interface Results {
  /** taskflow's submit → spawn by stage, pooled over rounds. */
  stages: Map<System, Record<LatencyStage, number[]>>;
  throughput: Map<System, number[]>;
  latency: Map<System, number[]>;
  /** Taskflow with the full answer; the peers. */
  bulk: Map<System, number[]>;
  /** Taskflow with the ids-only answer. */
  bulkIds: Map<System, number[]>;
  single: Map<System, number[]>;
}

export async function peersScenario(ctx: BenchContext): Promise<void> {
  const o = ctx.opts.peers;
  const c = ctx.opts.throughput.concurrency;
  let peers: Peer[] = [...PEERS];
  if (o.skip) {
    progress(`peers: graphile-worker and pg-boss skipped (${ctx.opts.smoke ? "--smoke" : "--no-peers"}); taskflow's side runs alone`);
    peers = [];
  } else {
    const why = ensurePeers();
    if (why) throw new Error(`peers: ${why}`);
  }
  const want = (f: PeerFigure) => o.figures.includes(f);
  if (want("latency") && !want("e2e") && o.rate === null) throw new Error("peers: --peer-figures with latency but not e2e needs --peer-rate (the rate is a third of the end-to-end rates)");
  // Only the end-to-end and latency figures depend on the spawn rate.
  const spawn = want("e2e") || want("latency") ? await spawnRates(ctx, peers.length > 0) : { bun: 0, node: null };
  let rate = o.rate;
  const res: Results = { stages: new Map(), throughput: new Map(), latency: new Map(), bulk: new Map(), bulkIds: new Map(), single: new Map() };
  const push = (m: Map<System, number[]>, s: System, ...v: number[]) => m.set(s, [...(m.get(s) ?? []), ...v]);
  // At smoke size (CI) one layout proves the runner; --role=all is the one people try first.
  const systems: System[] = [TASKFLOW.all, ...(ctx.opts.smoke ? [] : [TASKFLOW.split]), ...peers];
  for (let round = 0; round < o.rounds; round++) {
    const order = rotate(systems, round);
    const tag = o.rounds > 1 ? ` (round ${round + 1}/${o.rounds})` : "";
    for (const s of want("e2e") ? order : []) {
      progress(`peers: end to end, ${o.jobs} jobs, ${c} in flight: ${s}${tag}`);
      push(res.throughput, s, await endToEnd(ctx, s, o.jobs, c));
    }
    if (want("latency")) rate ??= sustainableRate(ctx, spawn, res.throughput);
    for (const s of want("latency") ? order : []) {
      progress(`peers: submit → start at ${fmt(rate!)}/s for ${o.seconds} s: ${s}${tag}`);
      const run = await latency(ctx, s, rate!, o.seconds, c);
      push(res.latency, s, ...run.values);
      if (run.stages) {
        const pooled = res.stages.get(s);
        res.stages.set(s, pooled ? mergeStages(pooled, run.stages) : run.stages);
      }
    }
    for (const s of order.filter((x) => x !== TASKFLOW.split)) {
      if (want("bulk")) {
        progress(`peers: bulk submit, ${o.bulkJobs} jobs, ${BATCH} per call, ${BULK_CLIENTS} clients: ${s}${tag}`);
        push(res.bulk, s, await bulk(ctx, s, o.bulkJobs, "full"));
        if (modeOf(s)) {
          progress(`peers: bulk submit, ${o.bulkJobs} jobs, ${BATCH} per call, ${BULK_CLIENTS} clients, answer: ids only: ${s}${tag}`);
          push(res.bulkIds, s, await bulk(ctx, s, o.bulkJobs, "ids"));
        }
      }
      if (want("single")) {
        progress(`peers: single submit, ${o.singleJobs} jobs, ${o.clients} clients: ${s}${tag}`);
        push(res.single, s, await single(ctx, s, o.singleJobs, o.clients));
      }
    }
  }
  report(ctx, res, peers, { rate: rate ?? 0, jobs: o.jobs, c, clients: o.clients });
}

/** Bun's and Node's spawn rates of sh -c true at C (the peers' job bodies spawn with Node). */
async function spawnRates(ctx: BenchContext, withNode: boolean): Promise<{ bun: number; node: number | null }> {
  const n = ctx.opts.smoke ? 200 : 1000;
  const c = ctx.opts.throughput.concurrency;
  const bun = await rawSpawnRate(n, c);
  const node = withNode ? await nodeSpawnRate(n, c) : null;
  progress(`peers: spawn rate sh -c true, c=${c}: Bun ${fmt(bun)}/s, Node ${node === null ? "not measured" : `${fmt(node)}/s`}`);
  return { bun, node };
}

/**
 * A third of the slowest of: the spawn rates and every system's end-to-end rate
 * just measured. A load every system carries, so latency measures the path, not
 * a backlog (a burst of 1,000 spawns runs faster than a loaded machine sustains).
 */
function sustainableRate(ctx: BenchContext, spawn: { bun: number; node: number | null }, e2e: Map<System, number[]>): number {
  const slowest = Math.min(spawn.bun, spawn.node ?? Infinity, ...[...e2e.values()].flat());
  const rate = Math.max(5, Math.round(slowest / 3));
  const e2eText = [...e2e].map(([s, v]) => `${s} ${fmt(v.at(-1)!)}`).join(", ");
  progress(`peers: latency rate ${rate}/s (a third of ${fmt(slowest)}/s)`);
  ctx.report.add("peers", "latency rate: a third of the slowest spawn or end-to-end rate", rate, "tasks/s", {
    note: `spawns of sh -c true: Bun ${fmt(spawn.bun)}/s, Node ${spawn.node === null ? "—" : `${fmt(spawn.node)}/s`}; end to end: ${e2eText}`,
  });
  return rate;
}

/** Taskflow's values from `taskflow`, the peers' from `peers` (a figure only taskflow measures twice). */
function withPeers<T>(taskflow: Map<System, T>, peers: Map<System, T>): Map<System, T> {
  if (taskflow.size === 0) return taskflow;
  return new Map([...taskflow, ...[...peers].filter(([s]) => !modeOf(s))]);
}

function rotate<T>(xs: T[], by: number): T[] {
  const k = by % xs.length;
  return [...xs.slice(k), ...xs.slice(0, k)];
}

function modeOf(s: System): ClusterMode | null {
  return s === TASKFLOW.all ? "all" : s === TASKFLOW.split ? "split" : null;
}

/** taskflow's fresh database, with --async-commit's setting when asked. */
function tfDatabase<T>(ctx: BenchContext, label: string, fn: (db: ScratchDatabase) => Promise<T>): Promise<T> {
  return withDatabase(ctx, label, async (db) => {
    await commitMode(ctx, db);
    return fn(db);
  });
}

/** --async-commit (an experiment): commits on this database return before their WAL flush. Applies to connections made after it. */
async function commitMode(ctx: BenchContext, db: ScratchDatabase): Promise<void> {
  if (ctx.opts.peers.asyncCommit) await db.sql.unsafe(`alter database ${db.name} set synchronous_commit = off`);
}

/** A peer on its own fresh database (it migrates itself), dropped afterwards. */
async function onPeerDatabase<T>(ctx: BenchContext, peer: Peer, fn: (url: string) => Promise<T>): Promise<T> {
  const db = await createScratchDatabase(ctx.opts.adminUrl, `peer_${peer.replace("-", "_")}`, null);
  try {
    await commitMode(ctx, db);
    return await fn(db.url);
  } finally {
    await db.drop();
  }
}

async function endToEnd(ctx: BenchContext, s: System, jobs: number, c: number): Promise<number> {
  const mode = modeOf(s);
  if (mode) {
    return tfDatabase(ctx, `peers_e2e_${mode}`, (db) =>
      withCluster(ctx, db, mode, async (cluster) => (await measureThroughput(db, cluster, jobs, `peers ${mode}`)).tasksPerSecond, { concurrency: c }),
    );
  }
  return onPeerDatabase(ctx, s as Peer, async (databaseUrl) => (await runPeer<{ jobsPerSecond: number }>(s as Peer, "throughput", { databaseUrl, jobs, concurrency: c, batch: BATCH })).jobsPerSecond);
}

async function latency(ctx: BenchContext, s: System, rate: number, seconds: number, c: number): Promise<{ values: number[]; stages?: Record<LatencyStage, number[]> }> {
  const mode = modeOf(s);
  if (mode) {
    return tfDatabase(ctx, `peers_latency_${mode}`, (db) =>
      withCluster(ctx, db, mode, async (cluster) => {
        const run = await measureLatency(db, cluster, rate, seconds, `peers ${mode}`);
        return { values: run.submitToSpawnValues, stages: run.stages };
      }, { concurrency: c }),
    );
  }
  return onPeerDatabase(ctx, s as Peer, async (databaseUrl) => ({
    values: (await runPeer<{ latencies: number[] }>(s as Peer, "latency", { databaseUrl, rate, seconds, concurrency: c })).latencies,
  }));
}

function mergeStages(a: Record<LatencyStage, number[]>, b: Record<LatencyStage, number[]>): Record<LatencyStage, number[]> {
  return Object.fromEntries(Object.keys(LATENCY_STAGES).map((k) => [k, [...a[k as LatencyStage], ...b[k as LatencyStage]]])) as Record<LatencyStage, number[]>;
}

function futureBody(i: number): TaskBody {
  return { name: `peers submit ${i}`, command: "true", run_at: new Date(Date.now() + 24 * 3600_000).toISOString() };
}

async function bulk(ctx: BenchContext, s: System, jobs: number, answer: BatchAnswer): Promise<number> {
  if (!modeOf(s)) return onPeerDatabase(ctx, s as Peer, async (databaseUrl) => (await runPeer<{ jobsPerSecond: number }>(s as Peer, "bulk", { databaseUrl, jobs, batch: BATCH, clients: BULK_CLIENTS })).jobsPerSecond);
  return tfDatabase(ctx, "peers_bulk", (db) =>
    withCluster(ctx, db, "all", async (cluster) => {
      await submitInBatches(cluster.baseUrl, Array.from({ length: BATCH }, (_, i) => futureBody(i)), BATCH, 1);
      await vacuumAnalyze(db.sql);
      const bodies = Array.from({ length: jobs }, (_, i) => futureBody(i));
      const t0 = performance.now();
      await submitInBatches(cluster.baseUrl, bodies, BATCH, BULK_CLIENTS, answer);
      return jobs / ((performance.now() - t0) / 1000);
    }, { noWorker: true }),
  );
}

async function single(ctx: BenchContext, s: System, jobs: number, clients: number): Promise<number> {
  if (!modeOf(s)) return onPeerDatabase(ctx, s as Peer, async (databaseUrl) => (await runPeer<{ jobsPerSecond: number }>(s as Peer, "single", { databaseUrl, jobs, clients })).jobsPerSecond);
  return tfDatabase(ctx, "peers_single", (db) =>
    withCluster(ctx, db, "all", async (cluster) => {
      await inLanes(300, clients, (i) => submitOne(cluster.baseUrl, futureBody(i)));
      await vacuumAnalyze(db.sql);
      const t0 = performance.now();
      await inLanes(jobs, clients, (i) => submitOne(cluster.baseUrl, futureBody(i)));
      return jobs / ((performance.now() - t0) / 1000);
    }, { noWorker: true }),
  );
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

interface Row {
  figure: string;
  unit: string;
  values: Map<System, number>;
  /** Each round's value, when there were several. */
  rounds: Map<System, number[]>;
  /** What taskflow is held against: a peer, or the best of the peers. */
  against: (values: Map<System, number>) => { name: string; value: number } | null;
  /** Target on taskflow / reference. */
  target: { text: string; ok: (ratio: number) => boolean; atLeast: boolean; bound: number };
}

function report(ctx: BenchContext, res: Results, peers: Peer[], sizes: { rate: number; jobs: number; c: number; clients: number }): void {
  const medians = (m: Map<System, number[]>) => new Map([...m].map(([s, v]) => [s, median(v)]));
  const lat = (q: number) => new Map([...res.latency].map(([s, v]) => [s, q === 0.5 ? summary(v).p50 : summary(v).p99]));
  const graphile = (values: Map<System, number>) => (values.has("graphile-worker") ? { name: "graphile-worker", value: values.get("graphile-worker")! } : null);
  const bestPeer = (values: Map<System, number>) => {
    const ps = peers.filter((p) => values.has(p)).map((p) => ({ name: p, value: values.get(p)! }));
    return ps.length ? ps.reduce((a, b) => (b.value > a.value ? b : a)) : null;
  };
  const atLeast = (k: number) => ({ text: `≥ ${k.toFixed(2)}×`, ok: (r: number) => r >= k, atLeast: true, bound: k });
  const atMostX = (k: number) => ({ text: `≤ ${k.toFixed(2)}×`, ok: (r: number) => r <= k, atLeast: false, bound: k });
  const rows: Row[] = [
    { figure: `end to end, ${sizes.jobs} × sh -c true, ${sizes.c} in flight`, unit: "jobs/s", values: medians(res.throughput), rounds: res.throughput, against: bestPeer, target: atLeast(1.5) },
    { figure: `submit → start p50 at ${fmt(sizes.rate)}/s`, unit: "ms", values: lat(0.5), rounds: new Map(), against: graphile, target: atMostX(1) },
    { figure: `submit → start p99 at ${fmt(sizes.rate)}/s`, unit: "ms", values: lat(0.99), rounds: new Map(), against: graphile, target: atMostX(1) },
    { figure: `bulk submit, ${BATCH} per call, ${BULK_CLIENTS} clients`, unit: "jobs/s", values: medians(res.bulk), rounds: res.bulk, against: graphile, target: atLeast(1) },
    {
      figure: `bulk submit, ${BATCH} per call, ${BULK_CLIENTS} clients, taskflow answering ids only (Prefer: return=minimal; peers: the runs above)`,
      unit: "jobs/s",
      values: withPeers(medians(res.bulkIds), medians(res.bulk)),
      rounds: withPeers(res.bulkIds, res.bulk),
      against: graphile,
      target: atLeast(1),
    },
    { figure: `single submit, ${sizes.clients} clients`, unit: "jobs/s", values: medians(res.single), rounds: res.single, against: graphile, target: atLeast(1.5) },
  ];
  const systems: System[] = [TASKFLOW.all, TASKFLOW.split, ...peers];
  const lines = [
    `| figure (same run) | ${systems.join(" | ")} | reference | ratio (taskflow / reference) | target | met |`,
    `|---|${systems.map(() => "---:").join("|")}|---|---:|---|---|`,
  ];
  // Figures not asked for (--peer-figures) have no row.
  for (const row of rows.filter((r) => r.values.size > 0)) {
    const ref = row.against(row.values);
    const tf = [TASKFLOW.all, TASKFLOW.split].filter((s) => row.values.has(s));
    const ratios = ref ? tf.map((s) => row.values.get(s)! / ref.value) : [];
    const cells = systems.map((s) => {
      if (!row.values.has(s)) return "—";
      const rounds = row.rounds.get(s) ?? [];
      return `${fmt(row.values.get(s)!)}${rounds.length > 1 ? ` (${rounds.map(fmt).join(", ")})` : ""}`;
    });
    const met = ref ? (ratios.every(row.target.ok) ? "yes" : "**no**") : "—";
    lines.push(`| ${row.figure} (${row.unit}) | ${cells.join(" | ")} | ${ref ? ref.name : "—"} | ${ratios.map((r) => r.toFixed(2)).join(" / ") || "—"} | ${row.target.text} | ${met} |`);
    for (const s of tf) {
      const v = row.values.get(s)!;
      if (!Number.isFinite(v)) continue;
      ctx.report.add("peers", `${row.figure}, ${s}`, v, row.unit, {
        baseline: ref ? { name: ref.name, value: ref.value, unit: row.unit } : null,
        target: ref ? (row.target.atLeast ? atLeastRatio(row.target.bound) : atMostRatio(row.target.bound)) : undefined,
      });
    }
  }
  const layouts = [TASKFLOW.all, TASKFLOW.split].filter((s) => res.stages.has(s));
  if (layouts.length > 0) {
    lines.push("", `taskflow's submit → spawn by stage (p50 / p99, ms; from send time, run_at, picked_at, spawned_at, started_at):`, "");
    lines.push(`| stage | measured as | ${layouts.join(" | ")} |`, `|---|---|${layouts.map(() => "---:").join("|")}|`);
    for (const [stage, how] of Object.entries(LATENCY_STAGES)) {
      const cells = layouts.map((s) => {
        const v = summary(res.stages.get(s)![stage as LatencyStage]);
        return v.n ? `${v.p50.toFixed(2)} / ${v.p99.toFixed(2)}` : "—";
      });
      lines.push(`| ${stage} | ${how} | ${cells.join(" | ")} |`);
    }
  }
  if (peers.length === 0) lines.push("", "Peers skipped (--smoke or --no-peers): `npm run bench -- peers` runs graphile-worker and pg-boss too.");
  ctx.report.section(`Side by side with the peers (medians of rounds; latency pooled over rounds; start = taskflow's spawned_at, a peer's job body)\n\n${lines.join("\n")}`);
}
