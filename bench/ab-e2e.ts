/**
 * End-to-end throughput of two taskflow binaries, alternated, with where the CPU went:
 * `bun bench/ab-e2e.ts --a=OLD_BIN --b=NEW_BIN [--tasks=N] [--rounds=R] [--modes=all,split] [--count]`.
 *
 * What the peers scenario's end-to-end figure does for taskflow (`measureThroughput`: a
 * fresh database, a warm-up of 200 tasks and VACUUM ANALYZE, then N `true` tasks submitted
 * 1,000 a call, one worker with 16 slots, first submit to last `finished_at`), for A and B in
 * turn (which one goes first turns each round), in each layout. Each line gives the rate, the
 * load and the CPU ms per task of every taskflow process and of the database's backends.
 * `--count` routes the taskflow processes through the statement-counting proxy and prints
 * the statements per task by text (the proxy's own CPU then shares the machine: use it to
 * count, not to time).
 */
import { mkdtempSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { submitInBatches, type TaskBody } from "./support/api-client.ts";
import { backendPids, cpuMeter } from "./support/cpu-time.ts";
import { alternated, parseAbArgs } from "./support/ab-args.ts";
import { createScratchDatabase, vacuumAnalyze, waitFinished } from "./support/scratch-database.ts";
import { StatementCounter } from "./support/statement-counter.ts";
import { Cluster, type ClusterMode } from "./support/taskflow-processes.ts";
import { lastFinishedMs } from "./scenarios/throughput.ts";

const WARMUP = 200;

const args = parseAbArgs("bun bench/ab-e2e.ts --a=OLD_BIN --b=NEW_BIN [--tasks=N] [--rounds=R] [--modes=all,split] [--count]", {
  tasks: { type: "string", default: "2000" },
  modes: { type: "string", default: "all,split" },
  count: { type: "boolean", default: false },
  "b-log-level": { type: "string" },
  "b-url-params": { type: "string" },
});
const tasks = Number(args.tasks);
const modes = args.modes!.split(",") as ClusterMode[];
const logDir = mkdtempSync(join(tmpdir(), "ab-e2e-"));

for (let round = 0; round < args.rounds; round++) {
  const order = alternated(round, args.a, args.b);
  for (const mode of modes) for (const bin of order) console.log(await measure(bin, mode));
}
process.exit(0);

/** One run: a line with the time, the load, the rate and the CPU ms per task. */
async function measure(bin: string, mode: ClusterMode): Promise<string> {
  const db = await createScratchDatabase(args.databaseUrl, "ab_e2e", [bin]);
  const counter = args.count ? new StatementCounter(new URL(db.url).hostname, Number(new URL(db.url).port || 5432), true) : null;
  if (counter) await counter.start();
  try {
    const isB = bin === args.b && bin !== args.a;
    const url = (counter ? counter.urlThrough(db.url) : db.url) + (isB && args["b-url-params"] ? `?${args["b-url-params"]}` : "");
    const logLevel = isB ? (args["b-log-level"] ?? "info") : "info";
    const cluster = await Cluster.start({ command: [bin], cpuProfDir: null, logDir, logLevel, databaseUrl: url, mode, concurrency: 16 }, db.sql);
    try {
      const body = (i: number): TaskBody => ({ name: `ab e2e ${i}`, command: "true" });
      const warmSince = new Date();
      await submitInBatches(cluster.baseUrl, Array.from({ length: WARMUP }, (_, i) => body(i)));
      await waitFinished(db.sql, warmSince, WARMUP, 60_000);
      await vacuumAnalyze(db.sql);
      const pids = { ...Object.fromEntries(cluster.processes.map((p) => [p.name, [p.proc.pid]])), pg: await backendPids(db.sql, db.name) };
      const before = new Map(counter?.byText ?? []);
      const statements0 = counter?.statements ?? 0;
      const since = new Date(Date.now() - 1);
      const meter = cpuMeter(pids);
      const t0 = performance.timeOrigin + performance.now();
      await submitInBatches(cluster.baseUrl, Array.from({ length: tasks }, (_, i) => body(i)));
      await waitFinished(db.sql, since, tasks, Math.max(120_000, tasks * 50));
      const used = meter.stop();
      const rate = tasks / ((await lastFinishedMs(db.sql, since)) - t0) * 1000;
      const cpu = Object.entries(used).map(([k, ms]) => `${k} ${(ms / tasks).toFixed(3)}`).join(", ");
      const total = Object.values(used).reduce((a, b) => a + b, 0) / tasks;
      let line = `${new Date().toISOString().slice(11, 19)} load ${loadavg()[0]!.toFixed(2)} ${bin} ${mode}: ${rate.toFixed(0)} tasks/s; CPU ms/task ${cpu}; sum ${total.toFixed(3)}`;
      if (counter) {
        line += `\n  statements/task ${((counter.statements - statements0) / tasks).toFixed(3)}`;
        for (const [text, n] of counter.topSince(before, 14)) line += `\n  ${(n / tasks).toFixed(3)}  ${text}`;
      }
      return line;
    } finally {
      await cluster.stop();
    }
  } finally {
    await db.drop();
    await counter?.stop();
  }
}
