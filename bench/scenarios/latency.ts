/**
 * latency: an idle running system gets tasks one at a time at a steady rate
 * (open loop: each POST leaves on its tick, whatever the previous one is doing).
 * Submit-to-start is the task's started_at (written when the worker reported the
 * start) minus the moment the POST was sent; started_at − run_at is the same
 * without the HTTP submit. Baseline: the raw insert+NOTIFY → LISTEN → SKIP LOCKED
 * claim → spawn path at the same rate (start-latency.ts).
 */
import { rawStartLatencies } from "../baselines/start-latency.ts";
import { nowMs, submitOne, type TaskBody } from "../support/api-client.ts";
import { type BenchContext, type LatencySummary, withCluster, withDatabase } from "../support/context.ts";
import { atMost, progress, summary } from "../support/report.ts";
import { truncateTasks, vacuumAnalyze, waitFinished, type ScratchDatabase } from "../support/scratch-database.ts";
import type { Cluster, ClusterMode } from "../support/taskflow-processes.ts";

export interface LatencyRun {
  submitToStart: LatencySummary & { n: number };
  runAtToStart: LatencySummary & { n: number };
  runAtToPicked: LatencySummary & { n: number };
  httpSubmit: LatencySummary & { n: number };
  /** Send time to the worker's own stamp of the spawn (the attempt's spawned_at): the figure compared with the peers. */
  submitToSpawn: LatencySummary & { n: number };
  /** The same, one value per task (for pooling rounds). */
  submitToSpawnValues: number[];
  /** Where the milliseconds go, per task, by the timestamps on the way (see LATENCY_STAGES). */
  stages: Record<LatencyStage, number[]>;
}

/**
 * The stages of submit → spawn, read from the times each one leaves behind: the
 * client's send time, run_at (the insert's now(), its transaction start), picked_at
 * (the claim's now()), the attempt's spawned_at (the worker's clock just before the
 * spawn) and started_at (the start report's write). All on this host's clock.
 */
export const LATENCY_STAGES = {
  "HTTP → insert starts": "run_at − send",
  "insert + commit + NOTIFY → claim starts": "picked_at − run_at",
  "claim + commit + gRPC → spawn": "spawned_at − picked_at",
  "spawn → start report written (context)": "started_at − spawned_at",
} as const;
export type LatencyStage = keyof typeof LATENCY_STAGES;

/**
 * Seconds the open loop runs at the rate before the measured window begins. A process that
 * has just started meets its first burst with a cold JIT and a pool that opens connections
 * (and plans its statements once per connection) as the burst needs them: on an idle machine
 * most of a 10 s run's slowest 1 % came from its first half second. "At a steady rate" means
 * after that; every system in the peers scenario gets the same lead (bench/peers/driver.mjs).
 */
export const STEADY_LEAD_SECONDS = 2;

/** Submits at `rate` per second for `seconds`, waits for every task, and returns the latency summaries. */
export async function measureLatency(db: ScratchDatabase, cluster: Cluster, rate: number, seconds: number, label: string): Promise<LatencyRun> {
  const body = (i: number): TaskBody => ({ name: `${label} ${i}`, command: "true" });
  // Warm up at a gentler pace (the plans VACUUM ANALYZE then sees have rows), then let the system go idle.
  const warmSince = new Date();
  for (let i = 0; i < 50; i++) {
    await submitOne(cluster.baseUrl, body(i));
    await Bun.sleep(10);
  }
  await waitFinished(db.sql, warmSince, 50, 30_000);
  await vacuumAnalyze(db.sql);
  await Bun.sleep(1000);

  const n = Math.max(1, Math.round(rate * seconds));
  const lead = Math.round(rate * STEADY_LEAD_SECONDS);
  const since = new Date(Date.now() - 1);
  const sentAt = new Map<string, number>();
  const http: number[] = [];
  const pending: Promise<void>[] = [];
  const intervalMs = 1000 / rate;
  const t0 = performance.now();
  // One open loop: the lead's tasks run like the others but are not measured.
  for (let i = 0; i < lead + n; i++) {
    const wait = t0 + i * intervalMs - performance.now();
    if (wait > 0) await Bun.sleep(wait);
    const sent = nowMs();
    const measured = i >= lead;
    pending.push(
      submitOne(cluster.baseUrl, body(i)).then((id) => {
        if (!measured) return;
        sentAt.set(id, sent);
        http.push(nowMs() - sent);
      }),
    );
  }
  await Promise.all(pending);
  await waitFinished(db.sql, since, lead + n, 60_000);
  const rows = await db.sql<{ id: string; started: number; run_at: number; picked: number; spawned: number | null }[]>`
    select t.id, extract(epoch from t.started_at) * 1000 as started, extract(epoch from t.run_at) * 1000 as run_at,
           extract(epoch from t.picked_at) * 1000 as picked, extract(epoch from a.spawned_at) * 1000 as spawned
    from tasks t left join task_attempts a on a.task_id = t.id and a.attempt = 1
    where t.created_at >= ${since}`;
  const submitToSpawn: number[] = [];
  const submitToStart: number[] = [];
  const runAtToStart: number[] = [];
  const runAtToPicked: number[] = [];
  const stages = Object.fromEntries(Object.keys(LATENCY_STAGES).map((k) => [k, [] as number[]])) as Record<LatencyStage, number[]>;
  for (const r of rows) {
    const sent = sentAt.get(r.id);
    if (sent === undefined) continue;
    submitToStart.push(Number(r.started) - sent);
    stages["HTTP → insert starts"].push(Number(r.run_at) - sent);
    stages["insert + commit + NOTIFY → claim starts"].push(Number(r.picked) - Number(r.run_at));
    if (r.spawned !== null) {
      submitToSpawn.push(Number(r.spawned) - sent);
      stages["claim + commit + gRPC → spawn"].push(Number(r.spawned) - Number(r.picked));
      stages["spawn → start report written (context)"].push(Number(r.started) - Number(r.spawned));
    }
    runAtToStart.push(Number(r.started) - Number(r.run_at));
    runAtToPicked.push(Number(r.picked) - Number(r.run_at));
  }
  return {
    submitToStart: summary(submitToStart),
    runAtToStart: summary(runAtToStart),
    runAtToPicked: summary(runAtToPicked),
    httpSubmit: summary(http),
    submitToSpawn: summary(submitToSpawn),
    submitToSpawnValues: submitToSpawn,
    stages,
  };
}

export async function latencyScenario(ctx: BenchContext): Promise<void> {
  const { rate, seconds } = ctx.opts.latency;
  for (const mode of ["all", "split"] as ClusterMode[]) {
    await withDatabase(ctx, `latency_${mode}`, async (db) => {
      progress(`latency [${mode}]: raw insert+NOTIFY → claim → spawn baseline, ${rate}/s for ${seconds} s`);
      const raw = summary(await rawStartLatencies(db.sql, rate, seconds));
      await truncateTasks(db.sql);
      const run = await withCluster(ctx, db, mode, (cluster) => {
        progress(`latency [${mode}]: ${rate}/s for ${seconds} s, one POST /api/tasks at a time`);
        return measureLatency(db, cluster, rate, seconds, "bench latency");
      });
      reportLatency(ctx, "latency", run, raw, mode === "all" ? ", --role=all" : ", separate processes");
      if (mode === "all") ctx.results.latency = run.submitToStart;
    });
  }
}

/** The latency figures of a run against the raw path (also used by the scale scenario). */
export function reportLatency(ctx: BenchContext, scenario: string, run: LatencyRun, raw: LatencySummary, suffix: string): void {
  const base = (k: keyof LatencySummary) => ({ name: `raw insert+NOTIFY→claim→spawn ${k}`, value: raw[k], unit: "ms" });
  const s = run.submitToStart;
  const n = `n=${s.n}`;
  ctx.report.add(scenario, `submit→started_at p50${suffix}`, s.p50, "ms", { baseline: base("p50"), target: atMost(1.5, "ms"), note: n });
  ctx.report.add(scenario, `submit→started_at p95${suffix}`, s.p95, "ms", { baseline: base("p95") });
  ctx.report.add(scenario, `submit→started_at p99${suffix}`, s.p99, "ms", { baseline: base("p99"), target: atMost(3, "ms") });
  ctx.report.add(scenario, `submit→started_at max${suffix}`, s.max, "ms", { baseline: base("max") });
  ctx.report.add(scenario, `started_at − run_at p50${suffix}`, run.runAtToStart.p50, "ms", { baseline: base("p50") });
  ctx.report.add(scenario, `started_at − run_at p99${suffix}`, run.runAtToStart.p99, "ms", { baseline: base("p99") });
  ctx.report.add(scenario, `  context: submit→spawned_at (worker's clock) p50 / p99${suffix}`, run.submitToSpawn.p50, "ms", {
    note: `p99 ${run.submitToSpawn.p99.toFixed(2)} ms, n=${run.submitToSpawn.n}`,
  });
  ctx.report.add(scenario, `  context: picked_at − run_at p50 / p99${suffix}`, run.runAtToPicked.p50, "ms", {
    note: `p99 ${run.runAtToPicked.p99.toFixed(2)} ms; HTTP submit p50 ${run.httpSubmit.p50.toFixed(2)} / p99 ${run.httpSubmit.p99.toFixed(2)} ms`,
  });
}
