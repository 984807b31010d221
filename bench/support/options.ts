/**
 * The benchmark's command line: which scenarios, and every size, with defaults that
 * finish in a few minutes on 2 cores and a `--smoke` size that proves the runner
 * works in well under a minute.
 */
import { parseArgs } from "node:util";

export const SCENARIOS = ["submit", "throughput", "latency", "peers", "precision", "scale", "footprint", "retention", "output", "fleet", "placement"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchOptions {
  scenarios: ScenarioName[];
  smoke: boolean;
  /** Admin URL of the PostgreSQL server; each scenario makes and drops its own database there. */
  adminUrl: string;
  /** The taskflow executable to run. */
  bin: string;
  /** The command that runs taskflow: the binary, or `bun src/main.ts` with --source. */
  command: string[];
  /** Write a CPU profile of every taskflow process into this folder (BUN_OPTIONS=--cpu-prof). */
  cpuProfDir: string | null;
  /** Run `npm run build` first. */
  build: boolean;
  /** Log level passed to taskflow processes (the product default is info). */
  logLevel: string;
  /** Write every figure as JSON lines to this file too. */
  jsonOut: string | null;
  /** Keep the taskflow logs folder after the run. */
  keepLogs: boolean;
  submit: { tasks: number; clients: number; batchTasks: number; batchClients: number };
  throughput: { tasks: number; concurrency: number };
  latency: { rate: number; seconds: number };
  precision: { tasks: number; windowSeconds: number; leadSeconds: number };
  scale: { history: number; future: number; pageSamples: number };
  retention: { history: number; rate: number; baselineSeconds: number; segmentSeconds: number; deadlineSeconds: number };
  output: { floodMb: number; chattyTasks: number; chattySeconds: number };
  fleet: { workers: number; tasks: number; victims: number; idleSeconds: number; heartbeatMs: number; workerTimeoutMs: number };
  placement: { tasks: number; workers: number; rounds: number };
  /** Side by side with graphile-worker and pg-boss (bench/scenarios/peers.ts). rate null: a third of the measured spawn rate. */
  peers: {
    jobs: number;
    seconds: number;
    rate: number | null;
    bulkJobs: number;
    singleJobs: number;
    clients: number;
    rounds: number;
    skip: boolean;
    asyncCommit: boolean;
    /** The figures to measure (default all): a submit change is compared in minutes with `--peer-figures=bulk`. */
    figures: PeerFigure[];
  };
}

export const PEER_FIGURES = ["e2e", "latency", "bulk", "single"] as const;
export type PeerFigure = (typeof PEER_FIGURES)[number];

const FULL = {
  "submit-tasks": 20_000,
  "submit-clients": 64,
  "batch-tasks": 50_000,
  "batch-clients": 4,
  "throughput-tasks": 5_000,
  concurrency: 16,
  rate: 200,
  seconds: 10,
  "precision-tasks": 20_000,
  "precision-window": 30,
  "precision-lead": 5,
  history: 1_000_000,
  future: 100_000,
  "page-samples": 20,
  "prune-history": 1_000_000,
  "prune-rate": 200,
  "prune-baseline-seconds": 30,
  "prune-segment-seconds": 120,
  "prune-deadline": 600,
  "output-mb": 100,
  "chatty-tasks": 16,
  "chatty-seconds": 60,
  "fleet-workers": 1000,
  "fleet-tasks": 40_000,
  "fleet-victims": 100,
  "fleet-idle-seconds": 20,
  "fleet-heartbeat-ms": 2000,
  "fleet-timeout-ms": 10_000,
  "placement-tasks": 100_000,
  "placement-workers": 50,
  "placement-rounds": 20,
  "peer-jobs": 2_000,
  "peer-seconds": 10,
  "peer-bulk": 20_000,
  "peer-single": 5_000,
  "peer-clients": 16,
  "peer-rounds": 1,
};

const SMOKE: typeof FULL = {
  "submit-tasks": 400,
  "submit-clients": 16,
  "batch-tasks": 2_000,
  "batch-clients": 2,
  "throughput-tasks": 200,
  concurrency: 16,
  rate: 200,
  seconds: 1,
  "precision-tasks": 300,
  "precision-window": 2,
  "precision-lead": 2,
  history: 20_000,
  future: 2_000,
  "page-samples": 3,
  "prune-history": 5_000,
  "prune-rate": 100,
  "prune-baseline-seconds": 2,
  "prune-segment-seconds": 60,
  "prune-deadline": 60,
  "output-mb": 10,
  "chatty-tasks": 4,
  "chatty-seconds": 3,
  "fleet-workers": 20,
  "fleet-tasks": 400,
  "fleet-victims": 4,
  "fleet-idle-seconds": 2,
  "fleet-heartbeat-ms": 500,
  "fleet-timeout-ms": 2000,
  "placement-tasks": 5_000,
  "placement-workers": 10,
  "placement-rounds": 2,
  "peer-jobs": 100,
  "peer-seconds": 1,
  "peer-bulk": 2_000,
  "peer-single": 200,
  "peer-clients": 16,
  "peer-rounds": 1,
};

export const USAGE = `usage: npm run bench -- [SCENARIO...] [--smoke] [--flag=N ...]

scenarios: ${SCENARIOS.join(", ")} (default: all, in that order)

  --smoke                 every scenario tiny (whole run < 60 s): proves the runner works
  --bin=PATH              taskflow executable (default ./taskflow)
  --no-build              skip \`npm run build\`
  --database-url=URL      PostgreSQL admin URL (default $BENCH_DATABASE_URL, $TASKFLOW_TEST_DATABASE_URL,
                          or postgres://postgres@127.0.0.1:5432/postgres)
  --log-level=LEVEL       taskflow log level (default info, the product default)
  --json=FILE             also write the figures as JSON lines to FILE
  --keep-logs             keep the taskflow process logs
  --source                run \`bun src/main.ts\` instead of the binary (readable profiles)
  --cpu-prof=DIR          write a CPU profile of each taskflow process to DIR (summarise with
                          \`bun bench/profile-summary.ts DIR\`)
  --peer-rate=N           the peers scenario's latency rate (default: a third of the measured spawn rate)
  --no-peers              the peers scenario measures taskflow only (--smoke skips the peers too)
  --peer-figures=LIST     the peers scenario's figures, of ${PEER_FIGURES.join(",")} (default all); latency
                          without e2e needs --peer-rate
  --async-commit          an experiment: the peers scenario's databases (everyone's) with
                          synchronous_commit = off, to see what the commit flushes cost
sizes (default / --smoke):
${Object.keys(FULL)
  .map((k) => `  --${k.padEnd(22)}${String(FULL[k as keyof typeof FULL]).padStart(9)} / ${SMOKE[k as keyof typeof SMOKE]}`)
  .join("\n")}
`;

export function parseOptions(argv: string[]): BenchOptions {
  const sizeOptions = Object.fromEntries(Object.keys(FULL).map((k) => [k, { type: "string" as const }]));
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      smoke: { type: "boolean" },
      bin: { type: "string" },
      "no-build": { type: "boolean" },
      "database-url": { type: "string" },
      "log-level": { type: "string" },
      json: { type: "string" },
      "keep-logs": { type: "boolean" },
      source: { type: "boolean" },
      "cpu-prof": { type: "string" },
      "peer-rate": { type: "string" },
      "no-peers": { type: "boolean" },
      "peer-figures": { type: "string" },
      "async-commit": { type: "boolean" },
      help: { type: "boolean", short: "h" },
      ...sizeOptions,
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  for (const p of positionals) {
    if (!SCENARIOS.includes(p as ScenarioName)) throw new Error(`unknown scenario "${p}"; one of: ${SCENARIOS.join(", ")}`);
  }
  const base = values.smoke ? SMOKE : FULL;
  const size = (k: keyof typeof FULL): number => {
    const raw = (values as Record<string, unknown>)[k];
    if (raw === undefined) return base[k];
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${k} must be a positive number, got "${raw}"`);
    return n;
  };
  const bin = values.bin ?? "./taskflow";
  const root = new URL("../..", import.meta.url).pathname;
  return {
    scenarios: positionals.length ? (positionals as ScenarioName[]) : [...SCENARIOS],
    smoke: Boolean(values.smoke),
    adminUrl:
      values["database-url"] ?? process.env.BENCH_DATABASE_URL ?? process.env.TASKFLOW_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
    bin,
    command: values.source ? [process.execPath, `${root}src/main.ts`] : [bin],
    cpuProfDir: values["cpu-prof"] ?? null,
    build: !values["no-build"] && values.bin === undefined && !values.source,
    logLevel: values["log-level"] ?? "info",
    jsonOut: values.json ?? null,
    keepLogs: Boolean(values["keep-logs"]),
    submit: { tasks: size("submit-tasks"), clients: size("submit-clients"), batchTasks: size("batch-tasks"), batchClients: size("batch-clients") },
    throughput: { tasks: size("throughput-tasks"), concurrency: size("concurrency") },
    latency: { rate: size("rate"), seconds: size("seconds") },
    precision: { tasks: size("precision-tasks"), windowSeconds: size("precision-window"), leadSeconds: size("precision-lead") },
    scale: { history: size("history"), future: size("future"), pageSamples: size("page-samples") },
    retention: {
      history: size("prune-history"),
      rate: size("prune-rate"),
      baselineSeconds: size("prune-baseline-seconds"),
      segmentSeconds: size("prune-segment-seconds"),
      deadlineSeconds: size("prune-deadline"),
    },
    output: { floodMb: size("output-mb"), chattyTasks: size("chatty-tasks"), chattySeconds: size("chatty-seconds") },
    fleet: {
      workers: size("fleet-workers"),
      tasks: size("fleet-tasks"),
      victims: size("fleet-victims"),
      idleSeconds: size("fleet-idle-seconds"),
      heartbeatMs: size("fleet-heartbeat-ms"),
      workerTimeoutMs: size("fleet-timeout-ms"),
    },
    placement: { tasks: size("placement-tasks"), workers: size("placement-workers"), rounds: size("placement-rounds") },
    peers: {
      jobs: size("peer-jobs"),
      seconds: size("peer-seconds"),
      rate: peerRate(values["peer-rate"]),
      bulkJobs: size("peer-bulk"),
      singleJobs: size("peer-single"),
      clients: size("peer-clients"),
      rounds: size("peer-rounds"),
      skip: Boolean(values["no-peers"]) || Boolean(values.smoke),
      asyncCommit: Boolean(values["async-commit"]),
      figures: peerFigures(values["peer-figures"]),
    },
  };
}

function peerFigures(raw: string | undefined): PeerFigure[] {
  if (raw === undefined) return [...PEER_FIGURES];
  const asked = raw.split(",").map((f) => f.trim());
  const unknown = asked.filter((f) => !PEER_FIGURES.includes(f as PeerFigure));
  if (unknown.length > 0 || asked.length === 0) throw new Error(`--peer-figures takes a list of ${PEER_FIGURES.join(", ")}; got "${raw}"`);
  return asked as PeerFigure[];
}

function peerRate(raw: string | undefined): number | null {
  if (raw === undefined) return null;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--peer-rate must be a positive number, got "${raw}"`);
  return n;
}
