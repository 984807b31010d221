/**
 * throughput: N tasks of `true` on one worker with concurrency C, first submit to
 * last completion, with `--role=all` and with the roles as separate processes.
 * Baseline: raw `Bun.spawn(["/bin/sh","-c","true"])` at the same concurrency (the
 * physical limit of command tasks), taken before and after, the faster one kept.
 * Context: the worker's own way of spawning (setsid + pipes) and the database's
 * raw claim-and-complete rate with SKIP LOCKED.
 */
import { rawClaimCompleteRate } from "../baselines/claim-complete-rate.ts";
import { rawSpawnRate, workerStyleSpawnRate } from "../baselines/spawn-rate.ts";
import { nowMs, submitInBatches, type TaskBody } from "../support/api-client.ts";
import { type BenchContext, withCluster, withDatabase } from "../support/context.ts";
import { backendPids, cpuMeter, cpuPerTask } from "../support/cpu-time.ts";
import { atLeastRatio, fmt, progress, type Baseline } from "../support/report.ts";
import { truncateTasks, vacuumAnalyze, waitFinished, type ScratchDatabase, type Sql } from "../support/scratch-database.ts";
import type { Cluster, ClusterMode } from "../support/taskflow-processes.ts";

const WARMUP = 200;

export interface ThroughputRun {
  tasksPerSecond: number;
  cpu: string;
}

/** Submits `n` `true` tasks (1,000 per batch request) and waits for the last to finish. */
export async function measureThroughput(db: ScratchDatabase, cluster: Cluster, n: number, label: string): Promise<ThroughputRun> {
  const body = (i: number): TaskBody => ({ name: `${label} ${i}`, command: "true" });
  // Warm up: JIT, connection pools, the worker's first spawns.
  const warm = Math.min(WARMUP, n);
  const warmSince = new Date();
  await submitInBatches(cluster.baseUrl, Array.from({ length: warm }, (_, i) => body(i)));
  await waitFinished(db.sql, warmSince, warm, 60_000);
  await vacuumAnalyze(db.sql);

  const pids = {
    ...Object.fromEntries(cluster.processes.map((p) => [p.name, [p.proc.pid]])),
    pg: await backendPids(db.sql, db.name),
  };
  const since = new Date(Date.now() - 1);
  const meter = cpuMeter(pids);
  const t0 = nowMs();
  await submitInBatches(cluster.baseUrl, Array.from({ length: n }, (_, i) => body(i)));
  await waitFinished(db.sql, since, n, Math.max(120_000, n * 50));
  const cpu = cpuPerTask(meter.stop(), n);
  const lastMs = await lastFinishedMs(db.sql, since);
  const failed = await db.sql<{ n: string }[]>`select count(*) as n from tasks where status <> 'completed' and created_at >= ${since}`;
  if (Number(failed[0]!.n) > 0) throw new Error(`${failed[0]!.n} tasks did not complete`);
  return { tasksPerSecond: n / ((lastMs - t0) / 1000), cpu };
}

export async function lastFinishedMs(sql: Sql, since: Date): Promise<number> {
  const [r] = await sql<{ ms: string }[]>`
    select extract(epoch from max(finished_at)) * 1000 as ms from tasks where status = 'completed' and created_at >= ${since}`;
  return Number(r!.ms);
}

export async function throughputScenario(ctx: BenchContext): Promise<void> {
  const { tasks, concurrency } = ctx.opts.throughput;
  const spawnN = Math.min(tasks, 3000);
  for (const mode of ["all", "split"] as ClusterMode[]) {
    await withDatabase(ctx, `throughput_${mode}`, async (db) => {
      progress(`throughput [${mode}]: raw claim-and-complete baseline (${tasks} rows, ${concurrency} lanes)`);
      const claimRate = await rawClaimCompleteRate(db.sql, tasks, concurrency);
      await truncateTasks(db.sql);
      progress(`throughput [${mode}]: raw spawn baseline (${spawnN} × sh -c true, concurrency ${concurrency})`);
      const spawnBefore = await rawSpawnRate(spawnN, concurrency);
      const workerStyle = await workerStyleSpawnRate(spawnN, concurrency);
      const run = await withCluster(ctx, db, mode, (cluster) => {
        progress(`throughput [${mode}]: ${tasks} tasks, concurrency ${concurrency}`);
        return measureThroughput(db, cluster, tasks, `bench throughput ${mode}`);
      });
      const spawnAfter = await rawSpawnRate(spawnN, concurrency);
      const raw = Math.max(spawnBefore, spawnAfter);
      const baseline: Baseline = { name: `raw Bun.spawn sh -c true, c=${concurrency}`, value: raw, unit: "spawns/s" };
      const what = mode === "all" ? "--role=all" : "scheduler + coordinator + worker processes";
      ctx.report.add("throughput", `${tasks} × true, ${what}`, run.tasksPerSecond, "tasks/s", {
        baseline,
        target: atLeastRatio(0.7),
        note: `${run.cpu}; spawn before/after ${fmt(spawnBefore)}/${fmt(spawnAfter)}`,
      });
      ctx.report.add("throughput", `  same, vs worker-style spawn (setsid + pipes)`, run.tasksPerSecond, "tasks/s", {
        baseline: { name: `Bun.spawn detached + pipes, c=${concurrency}`, value: workerStyle, unit: "spawns/s" },
      });
      ctx.report.add("throughput", `  same, vs raw claim + complete`, run.tasksPerSecond, "tasks/s", {
        baseline: { name: `SKIP LOCKED claim 1 + complete, ${concurrency} lanes`, value: claimRate, unit: "tasks/s" },
      });
      if (mode === "all") ctx.results.throughputAll = run.tasksPerSecond;
    });
  }
}
