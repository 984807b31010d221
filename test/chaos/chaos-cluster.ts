/**
 * A taskflow cluster of real processes for the chaos battery, on a fresh PostgreSQL
 * database: one scheduler (the HTTP API), one or more coordinators, and workers the
 * tests kill, freeze, drain, restart, put behind a cuttable proxy or under a far-off
 * clock. Every process logs (JSON) to its own file in the run folder, next to the
 * ledger. The cluster also records the faults a test injects, reads the database's
 * story back, and runs the ledger checker over it.
 */
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { createPostgresDatabase } from "../support/databases.ts";
import { freePort, taskflowCommand, waitFor } from "../support/processes.ts";
import { checkLedger, type CheckReport, type DbTask, type Fault } from "./ledger-check.ts";
import { readLedger } from "./ledger.ts";
import { chaosDatabaseUrl, HEARTBEAT_MS, OVERLAP_LIMIT_MS, WORKER_TIMEOUT_MS } from "./sizes.ts";

const ROOT = join(import.meta.dir, "../..");
/** libfaketime, as Debian's `faketime` package installs it. */
export const LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";
/** Tasks per POST /api/tasks/batch (the API's limit). */
const BATCH = 1000;

/** One taskflow process the test controls; restart() starts it again with the same arguments. */
export class ChaosProcess {
  proc!: ReturnType<typeof Bun.spawn>;
  #fd = -1;
  /** Every pid this process had (restarts included). */
  readonly pids: number[] = [];

  constructor(
    readonly name: string,
    readonly args: string[],
    readonly logPath: string,
    private readonly env: Record<string, string>,
  ) {
    this.start();
  }

  start(): void {
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = openSync(this.logPath, "a");
    this.proc = Bun.spawn([...taskflowCommand(), ...this.args], {
      cwd: ROOT,
      env: { ...process.env, TASKFLOW_LOG_FORMAT: "json", TASKFLOW_LOG_LEVEL: "info", ...this.env },
      stdin: "ignore",
      stdout: this.#fd,
      stderr: this.#fd,
    });
    this.pids.push(this.proc.pid);
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) this.proc.kill(signal);
  }

  async killAndWait(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    this.kill(signal);
    await this.proc.exited;
  }

  /** Everything it logged (all its runs). */
  log(): string {
    return existsSync(this.logPath) ? readFileSync(this.logPath, "utf8") : "";
  }

  /** Its log lines as objects. */
  lines(): Array<Record<string, unknown>> {
    return this.log()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return { message: l };
        }
      });
  }

  close(): void {
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = -1;
  }
}

export interface WorkerOptions {
  concurrency?: number;
  queues?: string;
  /** Coordinator addresses to dial (default: every coordinator of the cluster). */
  coordinators?: string[];
  /** A libfaketime offset such as "+3h": the worker runs with a far-off clock. */
  fakeTime?: string;
  extra?: string[];
}

export interface ClusterOptions {
  /** A label for the run folder and logs. */
  name: string;
  coordinators?: number;
  /** The PostgreSQL server to make the cluster's database on (default: the battery's, chaosDatabaseUrl()). */
  serverUrl?: string;
}

export class ChaosCluster {
  readonly dir: string;
  readonly ledgerPath: string;
  readonly api: string;
  readonly faults: Fault[] = [];
  readonly coordinators: ChaosProcess[] = [];
  readonly workers = new Map<string, ChaosProcess>();
  scheduler!: ChaosProcess;
  sql!: postgres.Sql;
  databaseUrl = "";
  #drop: (() => Promise<void>) | null = null;
  readonly #timing = [`--heartbeat=${HEARTBEAT_MS}`, `--worker-timeout=${WORKER_TIMEOUT_MS}`];

  private constructor(readonly opts: ClusterOptions) {
    this.dir = mkdtempSync(join(tmpdir(), `taskflow-chaos-${opts.name}-`));
    this.ledgerPath = join(this.dir, "ledger");
    this.api = `http://127.0.0.1:${freePort()}`;
  }

  static async start(opts: ClusterOptions): Promise<ChaosCluster> {
    const c = new ChaosCluster(opts);
    const db = await createPostgresDatabase(opts.serverUrl ?? chaosDatabaseUrl());
    c.databaseUrl = db.url;
    c.#drop = db.drop;
    c.sql = postgres(db.url, { max: 4, onnotice: () => {}, connect_timeout: 5 });
    c.scheduler = new ChaosProcess("scheduler", ["--role=scheduler", `--database-url=${db.url}`, `--http=${c.api.slice(7)}`, ...c.#timing], join(c.dir, "scheduler.log"), {});
    await c.waitApiReady();
    for (let i = 0; i < (opts.coordinators ?? 1); i++) await c.startCoordinator();
    return c;
  }

  /** gRPC addresses of the coordinators, in order. */
  get coordinatorAddresses(): string[] {
    return this.coordinators.map((c) => c.args.find((a) => a.startsWith("--grpc="))!.slice(7));
  }

  async waitApiReady(timeoutMs = 30_000): Promise<void> {
    await waitFor(`the scheduler to be ready; log: ${this.scheduler.logPath}`, async () => {
      if (!this.scheduler.running) throw new Error(`the scheduler exited:\n${this.scheduler.log()}`);
      return (await fetch(`${this.api}/readyz`)).status === 200;
    }, timeoutMs, 50);
  }

  /** Starts a coordinator, on the cluster's database or through another URL to it (a proxy the test controls). */
  async startCoordinator(o: { databaseUrl?: string } = {}): Promise<ChaosProcess> {
    const n = this.coordinators.length + 1;
    const args = ["--role=coordinator", `--database-url=${o.databaseUrl ?? this.databaseUrl}`, `--grpc=127.0.0.1:${freePort()}`, ...this.#timing];
    const p = new ChaosProcess(`coordinator-${n}`, args, join(this.dir, `coordinator-${n}.log`), {});
    this.coordinators.push(p);
    await this.waitCoordinatorListening(p);
    return p;
  }

  /** Waits until the coordinator's latest run listens for workers. */
  async waitCoordinatorListening(p: ChaosProcess, timeoutMs = 30_000): Promise<void> {
    const before = p.pids.length;
    await waitFor(`${p.name} to listen; log: ${p.logPath}`, () => {
      if (!p.running) throw new Error(`${p.name} exited:\n${p.log().slice(-3000)}`);
      // Count "listening" lines: a restarted process logs a new one.
      return p.log().split("gRPC for workers on").length - 1 >= before;
    }, timeoutMs, 25);
  }

  /** Starts a worker (by default dialing every coordinator). */
  startWorker(name: string, o: WorkerOptions = {}): ChaosProcess {
    const args = [
      "--role=worker",
      `--coordinator=${(o.coordinators ?? this.coordinatorAddresses).join(",")}`,
      `--name=${name}`,
      `--queues=${o.queues ?? "default"}`,
      `--concurrency=${o.concurrency ?? 4}`,
      ...this.#timing,
      ...(o.extra ?? []),
    ];
    const env: Record<string, string> = o.fakeTime ? { LD_PRELOAD: LIBFAKETIME, FAKETIME: o.fakeTime } : {};
    const p = new ChaosProcess(name, args, join(this.dir, `${name}.log`), env);
    this.workers.set(name, p);
    return p;
  }

  /** Waits until a session of the named worker that started after `since` is alive. */
  async waitWorkerAlive(name: string, since = 0, timeoutMs = 20_000): Promise<string> {
    return waitFor(`worker ${name} to join`, async () => {
      const r = await this.sql<{ id: string }[]>`
        select id from workers where name = ${name} and status = 'alive' and started_at >= to_timestamp(${since / 1000})
        order by started_at desc limit 1`;
      return r[0]?.id ?? null;
    }, timeoutMs, 50);
  }

  /** Records a fault on a worker (by name) or on every worker ("*"). */
  fault(kind: string, target: string, from: number, to = from): void {
    this.faults.push({ kind, target, from, to });
  }

  /** Submits tasks through POST /api/tasks/batch; returns the ids that got a 201. */
  async submitBatch(tasks: Array<Record<string, unknown>>): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < tasks.length; i += BATCH) {
      const r = await fetch(`${this.api}/api/tasks/batch`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ tasks: tasks.slice(i, i + BATCH) }),
      });
      if (r.status !== 201) throw new Error(`POST /api/tasks/batch answered ${r.status}: ${await r.text()}`);
      ids.push(...((await r.json()) as { tasks: Array<{ id: string }> }).tasks.map((t) => t.id));
    }
    return ids;
  }

  /** Submits one task through POST /api/tasks; returns its id (throws unless 201). */
  async submit(task: Record<string, unknown>): Promise<string> {
    const r = await fetch(`${this.api}/api/tasks`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(task) });
    if (r.status !== 201) throw new Error(`POST /api/tasks answered ${r.status}: ${await r.text()}`);
    return ((await r.json()) as { id: string }).id;
  }

  /** The env every ledger task gets. */
  get ledgerEnv(): Record<string, string> {
    return { LEDGER: this.ledgerPath };
  }

  /** Waits until no task is left unfinished; returns the counts by status. */
  async waitAllFinished(timeoutMs: number): Promise<Record<string, number>> {
    let counts: Record<string, number> = {};
    try {
      await waitFor("every task to finish", async () => {
        counts = await this.statusCounts();
        return Object.keys(counts).every((s) => ["completed", "failed", "cancelled"].includes(s));
      }, timeoutMs, 250);
    } catch (err) {
      throw new Error(`${(err as Error).message}; counts: ${JSON.stringify(counts)}; logs in ${this.dir}`);
    }
    return counts;
  }

  async statusCounts(): Promise<Record<string, number>> {
    const rows = await this.sql<{ status: string; n: number }[]>`select status, count(*)::int as n from tasks group by status`;
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  /** Every task with its attempts, as the database records them. */
  async loadTasks(): Promise<Map<string, DbTask>> {
    const rows = await this.sql<{ id: string; status: string; attempt: number; attempts: DbTask["attempts"] | null }[]>`
      select t.id, t.status, t.attempt,
        json_agg(json_build_object(
          'attempt', a.attempt, 'status', a.status, 'worker', a.worker,
          'pickedAt', (extract(epoch from a.picked_at) * 1000)::float8,
          'startedAt', (extract(epoch from a.started_at) * 1000)::float8,
          'finishedAt', (extract(epoch from a.finished_at) * 1000)::float8,
          'error', a.error) order by a.attempt) filter (where a.task_id is not null) as attempts
      from tasks t left join task_attempts a on a.task_id = t.id
      group by t.id`;
    return new Map(rows.map((r) => [r.id, { id: r.id, status: r.status, attempt: r.attempt, attempts: r.attempts ?? [] }]));
  }

  /** Runs the ledger checker over the database and the ledger. */
  async check(accepted: string[], opts: { expectStatus?: string; faultSlackMs?: number; overlapLimitMs?: number } = {}): Promise<CheckReport & { tasks: Map<string, DbTask> }> {
    const tasks = await this.loadTasks();
    const ledger = readLedger(this.ledgerPath);
    const report = checkLedger(
      { accepted, tasks, runs: ledger.runs, faults: this.faults },
      { overlapLimitMs: opts.overlapLimitMs ?? OVERLAP_LIMIT_MS, faultSlackMs: opts.faultSlackMs ?? WORKER_TIMEOUT_MS + 6000, expectStatus: opts.expectStatus },
    );
    return { violations: [...ledger.errors, ...report.violations], stats: report.stats, tasks };
  }

  /** Everything every coordinator logged. */
  coordinatorLog(): string {
    return this.coordinators.map((c) => c.log()).join("\n");
  }

  /** Kills every process of the cluster, the task processes the ledger names, and drops the database. */
  async stop(): Promise<void> {
    const all = [this.scheduler, ...this.coordinators, ...this.workers.values()].filter(Boolean);
    for (const p of all) p.kill("SIGKILL");
    await Promise.all(all.map((p) => p.proc.exited));
    for (const p of all) p.close();
    killLedgerTasks(this.ledgerPath);
    await this.sql?.end({ timeout: 2 }).catch(() => {});
    await this.#drop?.().catch(() => {});
  }

  /** Removes the run folder (kept when a test failed, for its logs). */
  removeFiles(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * SIGKILLs the process groups of ledger tasks that still run (an orphan of a killed
 * worker, a frozen worker's child). A pid counts only while its environment still
 * names this ledger, so a reused pid is never touched.
 */
export function killLedgerTasks(ledgerPath: string): number {
  let n = 0;
  for (const run of readLedger(ledgerPath).runs) {
    let environ = "";
    try {
      environ = readFileSync(`/proc/${run.pid}/environ`, "latin1");
    } catch {
      continue;
    }
    if (!environ.split("\u0000").includes(`LEDGER=${ledgerPath}`)) continue;
    try {
      process.kill(-run.pid, "SIGKILL");
      n++;
    } catch {
      // Gone meanwhile.
    }
  }
  return n;
}

/** True while a process with this pid runs and is not a zombie. */
export function processRuns(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** The p-th percentile (0–100) of the values, nearest rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** A random integer in [lo, hi]. */
export function randomInt(lo: number, hi: number): number {
  return lo + Math.floor(Math.random() * (hi - lo + 1));
}
