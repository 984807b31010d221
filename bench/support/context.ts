/** What every scenario gets: the options, the report, a log folder, and figures other scenarios compare against. */
import type { BenchOptions } from "./options.ts";
import type { Report } from "./report.ts";
import { createScratchDatabase, type ScratchDatabase } from "./scratch-database.ts";
import { Cluster, type ClusterMode, type TaskflowCommand } from "./taskflow-processes.ts";

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface BenchContext {
  opts: BenchOptions;
  report: Report;
  logDir: string;
  /** Empty-table figures from this run, which the scale scenario compares against. */
  results: { throughputAll?: number; latency?: LatencySummary };
}

/** How this run starts taskflow processes. */
export function taskflowCommand(ctx: BenchContext): TaskflowCommand {
  return { command: ctx.opts.command, cpuProfDir: ctx.opts.cpuProfDir, logDir: ctx.logDir, logLevel: ctx.opts.logLevel };
}

/** Runs `fn` with a fresh, migrated database, dropped afterwards whatever happens. */
export async function withDatabase<T>(ctx: BenchContext, label: string, fn: (db: ScratchDatabase) => Promise<T>): Promise<T> {
  const db = await createScratchDatabase(ctx.opts.adminUrl, label, ctx.opts.command);
  try {
    return await fn(db);
  } finally {
    await db.drop();
  }
}

/** Runs `fn` with taskflow processes on `db`, stopped afterwards whatever happens. */
export async function withCluster<T>(
  ctx: BenchContext,
  db: ScratchDatabase,
  mode: ClusterMode,
  fn: (c: Cluster) => Promise<T>,
  extra: { noWorker?: boolean; concurrency?: number; args?: string[] } = {},
): Promise<T> {
  const cluster = await Cluster.start(
    {
      ...taskflowCommand(ctx),
      databaseUrl: db.url,
      mode,
      concurrency: extra.concurrency ?? ctx.opts.throughput.concurrency,
      noWorker: extra.noWorker,
      extraArgs: extra.args,
    },
    db.sql,
  );
  try {
    return await fn(cluster);
  } finally {
    await cluster.stop();
  }
}
