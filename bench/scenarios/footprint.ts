/**
 * footprint: memory of an idle worker and of `--role=all` idle and under load, the
 * binary's size, and cold start to /readyz on a new and an existing embedded data
 * dir. Baselines: an idle bare Bun process (the runtime's own RSS), the Bun runtime
 * executable, and `taskflow version` (process start with nothing to do).
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { submitInBatches } from "../support/api-client.ts";
import { type BenchContext, taskflowCommand, withCluster, withDatabase } from "../support/context.ts";
import { atMost, progress, quantile } from "../support/report.ts";
import { waitFinished } from "../support/scratch-database.ts";
import { Cluster, rssMb, sampleRss } from "../support/taskflow-processes.ts";

/** How long a process idles before its RSS is read (shorter with --smoke). */
const IDLE_SETTLE_MS = 3000;
const IDLE_SETTLE_SMOKE_MS = 500;

export async function footprintScenario(ctx: BenchContext): Promise<void> {
  const { bin } = ctx.opts;
  const bareRss = await bareBunRss();
  const runtime = { name: "idle bare Bun process", value: bareRss.total, unit: "MB" };

  await withDatabase(ctx, "footprint", async (db) => {
    await withCluster(ctx, db, "split", async (cluster) => {
      await Bun.sleep(ctx.opts.smoke ? IDLE_SETTLE_SMOKE_MS : IDLE_SETTLE_MS);
      const workerPid = cluster.process("worker").proc.pid;
      ctx.report.add("footprint", "RSS, idle worker (--role=worker)", rssMb(workerPid), "MB", { baseline: runtime, target: atMost(60, "MB") });
      // Most of an idle process's RSS is the runtime's own code and read-only data,
      // mapped from the executable and shared by every process on the host; the
      // anonymous part is what each extra worker really costs.
      const bareAnon = { name: "idle bare Bun process, anonymous", value: bareRss.anon, unit: "MB" };
      ctx.report.add("footprint", "  of which anonymous (private), idle worker", rssMb(workerPid, "RssAnon"), "MB", { baseline: bareAnon });
      ctx.report.add("footprint", "  of which file-backed (executable pages), idle worker", rssMb(workerPid, "RssFile"), "MB", {
        baseline: { name: "idle bare Bun process, file-backed", value: bareRss.file, unit: "MB" },
      });
      ctx.report.add("footprint", "RSS, idle coordinator (--role=coordinator)", rssMb(cluster.process("coordinator").proc.pid), "MB", { baseline: runtime });
      ctx.report.add("footprint", "RSS, idle scheduler (--role=scheduler)", rssMb(cluster.process("scheduler").proc.pid), "MB", { baseline: runtime });
    });
    await withCluster(ctx, db, "all", async (cluster) => {
      await Bun.sleep(ctx.opts.smoke ? IDLE_SETTLE_SMOKE_MS : IDLE_SETTLE_MS);
      const pid = cluster.process("scheduler").proc.pid;
      ctx.report.add("footprint", "RSS, idle --role=all", rssMb(pid), "MB", { baseline: runtime });
      const n = Math.min(ctx.opts.throughput.tasks, 5000);
      progress(`footprint: --role=all under load (${n} tasks)`);
      const sampler = sampleRss(pid);
      const since = new Date(Date.now() - 1);
      await submitInBatches(cluster.baseUrl, Array.from({ length: n }, (_, i) => ({ name: `footprint ${i}`, command: "true" })));
      await waitFinished(db.sql, since, n, 120_000);
      ctx.report.add("footprint", `RSS peak, --role=all running ${n} tasks`, sampler.stop(), "MB", { baseline: runtime });
    });
  });

  const size = statSync(bin).size / 2 ** 20;
  ctx.report.add("footprint", "binary size", size, "MB", { baseline: { name: "Bun runtime executable", value: statSync(process.execPath).size / 2 ** 20, unit: "MB" } });

  const version = await timeProcess([...ctx.opts.command, "version"]);
  const baseline = { name: "`taskflow version` wall time", value: version, unit: "ms" };
  const dir = mkdtempSync(join(tmpdir(), "taskflow-bench-"));
  try {
    const cold = await startEmbedded(ctx, join(dir, "data"));
    ctx.report.add("footprint", "cold start to /readyz, new data dir (embedded PostgreSQL)", cold.readyMs, "ms", { baseline, target: atMost(5000, "ms") });
    ctx.report.add("footprint", "RSS, idle --role=all on the embedded database, first start", cold.idleRss, "MB", { baseline: runtime, target: atMost(200, "MB") });
    const warm = await startEmbedded(ctx, join(dir, "data"));
    ctx.report.add("footprint", "cold start to /readyz, existing data dir", warm.readyMs, "ms", { baseline });
    ctx.report.add("footprint", "RSS, idle --role=all on the embedded database, restarted", warm.idleRss, "MB", { baseline: runtime, target: atMost(200, "MB") });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** RSS of a bare Bun process that only waits (the runtime's floor), in total and by kind. */
async function bareBunRss(): Promise<{ total: number; anon: number; file: number }> {
  const p = Bun.spawn([process.execPath, "-e", "setInterval(() => {}, 1000)"], { stdout: "ignore", stderr: "ignore" });
  await Bun.sleep(1000);
  const rss = { total: rssMb(p.pid), anon: rssMb(p.pid, "RssAnon"), file: rssMb(p.pid, "RssFile") };
  p.kill();
  await p.exited;
  return rss;
}

/** Median wall time of running a command to its end, in ms. */
async function timeProcess(cmd: string[], runs = 5): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await Bun.spawn(cmd, { stdout: "ignore", stderr: "ignore" }).exited;
    times.push(performance.now() - t0);
  }
  return quantile(times, 0.5);
}

/**
 * `--role=all` on an embedded data dir: from spawn to the first 200 of /readyz, then
 * its RSS once idle (the demo a new user leaves open); the process is stopped after.
 */
async function startEmbedded(ctx: BenchContext, dataDir: string): Promise<{ readyMs: number; idleRss: number }> {
  const t0 = performance.now();
  const cluster = await Cluster.start(
    { ...taskflowCommand(ctx), databaseUrl: null, dataDir, mode: "all", concurrency: 2 },
    null,
  );
  const readyMs = performance.now() - t0;
  await Bun.sleep(ctx.opts.smoke ? IDLE_SETTLE_SMOKE_MS : IDLE_SETTLE_MS);
  const idleRss = rssMb(cluster.process("scheduler").proc.pid);
  await cluster.stop();
  return { readyMs, idleRss };
}
