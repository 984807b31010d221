/**
 * Bulk submit of two taskflow binaries, alternated, with where the CPU went:
 * `bun bench/ab-bulk.ts --a=OLD_BIN --b=NEW_BIN [--tasks=N] [--rounds=R] [--answers=full,ids]`.
 *
 * What the peers scenario does for taskflow's bulk figure (a fresh database,
 * `--role=scheduler,coordinator`, a warm-up call and VACUUM ANALYZE, then 1,000 tasks
 * a call from 4 clients, run_at tomorrow), for A and B in turn (which one goes first
 * turns each round), and for each the CPU per 1,000 tasks of the taskflow process, of
 * the database's backends (also those the pool opened during the run) and of this client, read from /proc. On a shared machine
 * the CPU per task moves less with the load than the rate does. A call the database
 * gate refuses (503 under heavy load) is reported and that run skipped.
 */
import { mkdtempSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { alternated, parseAbArgs } from "./support/ab-args.ts";
import { submitInBatches, type BatchAnswer, type TaskBody } from "./support/api-client.ts";
import { backendPids, cpuMeter, cpuMs } from "./support/cpu-time.ts";
import { createScratchDatabase, vacuumAnalyze } from "./support/scratch-database.ts";
import { Cluster } from "./support/taskflow-processes.ts";

const BATCH = 1000;
const CLIENTS = 4;

const args = parseAbArgs("bun bench/ab-bulk.ts --a=OLD_BIN --b=NEW_BIN [--tasks=N] [--rounds=R] [--answers=full,ids]", {
  tasks: { type: "string", default: "20000" },
  answers: { type: "string", default: "full,ids" },
});
const tasks = Number(args.tasks);
const answers = args.answers!.split(",") as BatchAnswer[];
const logDir = mkdtempSync(join(tmpdir(), "ab-bulk-"));
const futureBody = (i: number): TaskBody => ({ name: `peers submit ${i}`, command: "true", run_at: new Date(Date.now() + 24 * 3600_000).toISOString() });

for (let round = 0; round < args.rounds; round++) {
  for (const bin of alternated(round, args.a, args.b)) for (const answer of answers) console.log(await measure(bin, answer));
}
process.exit(0);

/** One run: a line with the time, the load, the rate and the CPU per 1,000 tasks. */
async function measure(bin: string, answer: BatchAnswer): Promise<string> {
  const db = await createScratchDatabase(args.databaseUrl, "ab_bulk", [bin]);
  try {
    const cluster = await Cluster.start({ command: [bin], cpuProfDir: null, logDir, logLevel: "info", databaseUrl: db.url, mode: "all", concurrency: 16, noWorker: true }, db.sql);
    try {
      await submitInBatches(cluster.baseUrl, Array.from({ length: BATCH }, (_, i) => futureBody(i)), BATCH, 1);
      await vacuumAnalyze(db.sql);
      const bodies = Array.from({ length: tasks }, (_, i) => futureBody(i));
      const pgBefore = await backendPids(db.sql, db.name);
      const meter = cpuMeter({ taskflow: [cluster.processes[0]!.proc.pid], pg: pgBefore });
      const client0 = process.cpuUsage();
      const t0 = performance.now();
      await submitInBatches(cluster.baseUrl, bodies, BATCH, CLIENTS, answer);
      const rate = tasks / ((performance.now() - t0) / 1000);
      const cpu = meter.stop();
      // The pool opens connections as the 4 clients' calls overlap: their backends started during the run.
      for (const pid of await backendPids(db.sql, db.name)) if (!pgBefore.includes(pid)) cpu.pg! += cpuMs(pid);
      const client = process.cpuUsage(client0);
      const per1000 = (ms: number) => ((ms / tasks) * 1000).toFixed(1);
      return `${stamp()} ${bin} ${answer}: ${Math.round(rate)} tasks/s; CPU ms per 1,000: taskflow ${per1000(cpu.taskflow!)}, pg ${per1000(cpu.pg!)}, client ${per1000((client.user + client.system) / 1000)}`;
    } finally {
      await cluster.stop();
    }
  } catch (err) {
    return `${stamp()} ${bin} ${answer}: no figure (${String(err).slice(0, 120)})`;
  } finally {
    await db.drop();
  }
}

function stamp(): string {
  return `${new Date().toISOString().slice(11, 19)} load ${loadavg()[0]!.toFixed(1)}`;
}
