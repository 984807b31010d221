/**
 * taskflow's benchmark: `npm run bench [-- SCENARIO... --smoke --flag=N]`.
 * Builds the binary, runs each scenario against real taskflow processes and a
 * fresh PostgreSQL database, and prints every figure next to a baseline measured
 * in the same run: a JSON line per figure as it comes, and a table at the end.
 * See bench/README.md for the scenarios, the targets and the latest results.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fleetScenario } from "./scenarios/fleet.ts";
import { footprintScenario } from "./scenarios/footprint.ts";
import { latencyScenario } from "./scenarios/latency.ts";
import { outputScenario } from "./scenarios/output.ts";
import { placementScenario } from "./scenarios/placement.ts";
import { peersScenario } from "./scenarios/peers.ts";
import { precisionScenario } from "./scenarios/precision.ts";
import { retentionScenario } from "./scenarios/retention.ts";
import { scaleScenario } from "./scenarios/scale.ts";
import { submitScenario } from "./scenarios/submit.ts";
import { throughputScenario } from "./scenarios/throughput.ts";
import type { BenchContext } from "./support/context.ts";
import { parseOptions, USAGE, type ScenarioName } from "./support/options.ts";
import { progress, Report } from "./support/report.ts";
import { dropAllScratchDatabases } from "./support/scratch-database.ts";
import { killAll } from "./support/taskflow-processes.ts";

const SCENARIO_RUNNERS: Record<ScenarioName, (ctx: BenchContext) => Promise<void>> = {
  submit: submitScenario,
  throughput: throughputScenario,
  latency: latencyScenario,
  peers: peersScenario,
  precision: precisionScenario,
  scale: scaleScenario,
  footprint: footprintScenario,
  retention: retentionScenario,
  output: outputScenario,
  fleet: fleetScenario,
  placement: placementScenario,
};

async function main(): Promise<number> {
  let opts;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (opts.build) {
    progress("npm run build");
    const build = Bun.spawnSync(["npm", "run", "build"], { stdout: "pipe", stderr: "pipe" });
    if (build.exitCode !== 0) {
      process.stderr.write(`bench: npm run build failed:\n${build.stderr.toString()}${build.stdout.toString()}`);
      return 1;
    }
  }
  const machine = {
    date: new Date().toISOString(),
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? "?"}`,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    bun: Bun.version,
    load: (await Bun.file("/proc/loadavg").text().catch(() => "")).split(" ").slice(0, 3).join(" "),
  };
  const { submit, throughput, latency, precision, scale, retention } = opts;
  const sizes = { smoke: opts.smoke, submit, throughput, latency, precision, scale, retention };
  process.stdout.write(`${JSON.stringify({ type: "run", ...machine, scenarios: opts.scenarios, ...sizes })}\n`);
  const logDir = mkdtempSync(join(tmpdir(), "taskflow-bench-logs-"));
  const ctx: BenchContext = { opts, report: new Report(opts.jsonOut), logDir, results: {} };
  const failures: string[] = [];
  const t0 = performance.now();
  for (const name of opts.scenarios) {
    progress(`scenario ${name}`);
    try {
      await SCENARIO_RUNNERS[name](ctx);
    } catch (err) {
      failures.push(name);
      process.stderr.write(`bench: scenario ${name} failed: ${(err as Error)?.stack ?? err}\n`);
      killAll();
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write(`\n${machine.date.slice(0, 10)}, ${machine.cpus}, ${machine.memoryGb} GB, Bun ${machine.bun}, load at start ${machine.load}; ${seconds.toFixed(0)} s\n\n`);
  process.stdout.write(`${ctx.report.table()}\n`);
  for (const section of ctx.report.sections) process.stdout.write(`\n${section}\n`);
  if (opts.keepLogs || failures.length) progress(`taskflow logs kept in ${logDir}`);
  else rmSync(logDir, { recursive: true, force: true });
  if (failures.length) {
    process.stderr.write(`bench: failed scenarios: ${failures.join(", ")}\n`);
    return 1;
  }
  return 0;
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    killAll();
    void dropAllScratchDatabases().finally(() => process.exit(130));
  });
}

main().then(
  (code) => process.exit(code),
  (err) => {
    killAll();
    process.stderr.write(`bench: ${(err as Error)?.stack ?? err}\n`);
    process.exit(1);
  },
);
