/**
 * `taskflow prune`: removes now, against the configured database, what the
 * retention policies (or --older-than / --status) say is past retention, and
 * prints what it removed; with --dry-run it prints what it would remove and
 * changes nothing. It uses the pruner's batch statements, so it is safe while
 * coordinators run against the same PostgreSQL (the embedded database serves one
 * process: stop taskflow before pruning its data directory).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config/config.ts";
import { formatDuration } from "../core/duration.ts";
import type { PrunePlan } from "../core/retention.ts";
import type { Db } from "../db/client.ts";
import { MEMORY_DATA_DIR } from "../db/data-dir.ts";
import { DatabaseService } from "../db/database-service.ts";
import { countPrunableTasks, countPrunableWorkers } from "../db/queries/count-prunable.ts";
import { pruneDeadWorkers } from "../db/queries/prune-dead-workers.ts";
import { pruneFinishedTasks, type PrunedTasks } from "../db/queries/prune-finished-tasks.ts";
import { vacuumPrunedTables } from "../db/queries/vacuum-pruned-tables.ts";
import { roleLogger } from "../log/logger.ts";

/** Tasks per statement: the same small batches as the pruner, so running coordinators are not held up. */
const BATCH = 1000;

export interface PruneReport {
  dryRun: boolean;
  tasks: { status: string; olderThanMs: number; removed: PrunedTasks }[];
  workers: { olderThanMs: number; removed: number } | null;
  vacuumed: boolean;
}

/** Runs the prune in `config.prune` and writes its report to `out`; answers the exit code. */
export async function runPruneCommand(config: Config, out: (text: string) => void): Promise<number> {
  const inUse = embeddedInUse(config);
  if (inUse) {
    process.stderr.write(`taskflow prune: ${inUse}\n`);
    return 1;
  }
  const service = new DatabaseService(config, roleLogger("db"));
  try {
    await service.start();
  } catch (err) {
    process.stderr.write(`taskflow prune: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  try {
    const { db, kind } = service.database;
    const request = config.prune!;
    const report = request.dryRun ? await countAll(db, request.plan) : await pruneAll(db, request.plan, kind === "pglite");
    out(formatReport(report));
    return 0;
  } finally {
    await service.stop();
  }
}

/**
 * Two processes on one PGlite data directory corrupt it. PGlite keeps a
 * postmaster.pid there while it is open (with a made-up pid, so whether its
 * process still lives cannot be told): refuse while it is there.
 */
function embeddedInUse(config: Config): string | null {
  if (config.databaseUrl || config.dataDir === MEMORY_DATA_DIR) return null;
  const pidFile = join(config.dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return null;
  return `the embedded database in ${config.dataDir} is open in another process (${pidFile} exists): stop that taskflow first (if none runs, it did not stop cleanly: start and stop it once, or delete that file)`;
}

async function countAll(db: Db, plan: PrunePlan): Promise<PruneReport> {
  const tasks = [];
  for (const t of plan.tasks) tasks.push({ ...t, removed: await countPrunableTasks(db, t.status, t.olderThanMs) });
  const age = plan.workersOlderThanMs;
  return { dryRun: true, tasks, workers: age === null ? null : { olderThanMs: age, removed: await countPrunableWorkers(db, age) }, vacuumed: false };
}

async function pruneAll(db: Db, plan: PrunePlan, vacuum: boolean): Promise<PruneReport> {
  const tasks = [];
  for (const t of plan.tasks) {
    const removed: PrunedTasks = { tasks: 0, attempts: 0, events: 0 };
    for (;;) {
      const r = await pruneFinishedTasks(db, { ...t, limit: BATCH });
      removed.tasks += r.tasks;
      removed.attempts += r.attempts;
      removed.events += r.events;
      if (r.tasks < BATCH) break;
    }
    tasks.push({ ...t, removed });
  }
  let workers: PruneReport["workers"] = null;
  if (plan.workersOlderThanMs !== null) {
    let n = 0;
    for (;;) {
      const r = await pruneDeadWorkers(db, { olderThanMs: plan.workersOlderThanMs, limit: BATCH });
      n += r;
      if (r < BATCH) break;
    }
    workers = { olderThanMs: plan.workersOlderThanMs, removed: n };
  }
  const any = tasks.some((t) => t.removed.tasks > 0) || (workers?.removed ?? 0) > 0;
  // The embedded database has no autovacuum: without this its files would not reuse the space.
  if (any && vacuum) await vacuumPrunedTables(db);
  return { dryRun: false, tasks, workers, vacuumed: any && vacuum };
}

/**
 * The report, one line per target and a total:
 *
 *     completed tasks finished more than 7d ago: 120 tasks, 120 attempts, 600 events
 */
export function formatReport(r: PruneReport): string {
  const verb = r.dryRun ? "would remove" : "removed";
  const lines = r.tasks.map(
    (t) => `${t.status} tasks finished more than ${formatDuration(t.olderThanMs)} ago: ${verb} ${t.removed.tasks} tasks, ${t.removed.attempts} attempts, ${t.removed.events} events`,
  );
  if (r.workers) lines.push(`dead worker sessions stopped more than ${formatDuration(r.workers.olderThanMs)} ago: ${verb} ${r.workers.removed}`);
  if (lines.length === 0) lines.push("nothing to prune: every retention policy is off (forever)");
  const sum = (k: keyof PrunedTasks) => r.tasks.reduce((n, t) => n + t.removed[k], 0);
  const total = `total: ${verb} ${sum("tasks")} tasks, ${sum("attempts")} attempts, ${sum("events")} events, ${r.workers?.removed ?? 0} worker sessions`;
  return [...lines, r.dryRun ? `${total} (dry run: nothing was removed)` : r.vacuumed ? `${total}; vacuumed` : total, ""].join("\n");
}
