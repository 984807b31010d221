/**
 * Real taskflow processes for a scenario, from the compiled binary: one `--role=all`
 * process, or a scheduler, a coordinator and a worker as separate processes. Logs
 * go to files (not pipes the benchmark would have to drain) in the run's log folder.
 */
import type { Subprocess } from "bun";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Sql } from "./scratch-database.ts";

export type ClusterMode = "all" | "split";

export interface TaskflowProcess {
  name: string;
  proc: Subprocess;
  logFile: string;
}

/** How to run taskflow: the command, and where CPU profiles go (null: none). */
export interface TaskflowCommand {
  command: string[];
  cpuProfDir: string | null;
  logDir: string;
  logLevel: string;
}

export interface ClusterOptions extends TaskflowCommand {
  databaseUrl: string | null;
  /** --data-dir when there is no database URL (embedded PostgreSQL). */
  dataDir?: string;
  mode: ClusterMode;
  concurrency: number;
  /** Start no worker (e.g. submit, where nothing must run). */
  noWorker?: boolean;
  /** More flags for the scheduler and coordinator processes (e.g. retention policies). */
  extraArgs?: string[];
}

/** The repository root: `bun src/main.ts` needs its tsconfig; the binary does not care. */
const ROOT = new URL("../..", import.meta.url).pathname;

/** Every process the benchmark started and has not yet seen exit; killed on the way out. */
const live = new Set<Subprocess>();

let nextPort = 20_000 + Math.floor(Math.random() * 20_000);

/** A TCP port that was free a moment ago. */
export function freePort(): number {
  for (;;) {
    const port = nextPort++;
    try {
      const s = Bun.serve({ port, hostname: "127.0.0.1", fetch: () => new Response() });
      s.stop(true);
      return port;
    } catch {
      // taken: try the next one
    }
  }
}

export function startTaskflow(how: TaskflowCommand, name: string, args: string[]): TaskflowProcess {
  const logFile = join(how.logDir, `${name}-${Date.now().toString(36)}.log`);
  const env: Record<string, string | undefined> = { ...process.env, TASKFLOW_LOG_FORMAT: "json", TASKFLOW_LOG_LEVEL: how.logLevel };
  if (how.cpuProfDir) env.BUN_OPTIONS = `--cpu-prof --cpu-prof-dir=${join(how.cpuProfDir, name)}`;
  const proc = Bun.spawn([...how.command, ...args], { cwd: ROOT, stdin: "ignore", stdout: Bun.file(logFile), stderr: Bun.file(logFile), env });
  live.add(proc);
  void proc.exited.then(() => live.delete(proc));
  return { name, proc, logFile };
}

/** The last lines a process logged, for error messages. */
export function logTail(p: TaskflowProcess, lines = 20): string {
  try {
    return readFileSync(p.logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

export class Cluster {
  readonly processes: TaskflowProcess[] = [];
  readonly api: string;
  readonly grpc: string;

  private constructor(readonly opts: ClusterOptions) {
    this.api = `127.0.0.1:${freePort()}`;
    this.grpc = `127.0.0.1:${freePort()}`;
  }

  /** Starts the processes and waits until the API is ready and the worker has joined. */
  static async start(opts: ClusterOptions, sql: Sql | null): Promise<Cluster> {
    const c = new Cluster(opts);
    const db = opts.databaseUrl ? [`--database-url=${opts.databaseUrl}`] : [`--data-dir=${opts.dataDir}`];
    const worker = [`--concurrency=${opts.concurrency}`, "--name=bench-worker"];
    const extra = opts.extraArgs ?? [];
    if (opts.mode === "all") {
      const roles = opts.noWorker ? "--role=scheduler,coordinator" : "--role=all";
      c.processes.push(startTaskflow(opts, "all", [roles, ...db, `--http=${c.api}`, `--grpc=${c.grpc}`, ...worker, ...extra]));
    } else {
      c.processes.push(startTaskflow(opts, "scheduler", ["--role=scheduler", ...db, `--http=${c.api}`, ...extra]));
      c.processes.push(startTaskflow(opts, "coordinator", ["--role=coordinator", ...db, `--grpc=${c.grpc}`, ...extra]));
      if (!opts.noWorker) c.processes.push(startTaskflow(opts, "worker", ["--role=worker", `--coordinator=${c.grpc}`, ...worker]));
    }
    try {
      await c.waitReady();
      if (!opts.noWorker && sql) await c.waitWorkers(sql, 1);
    } catch (err) {
      await c.stop();
      throw err;
    }
    return c;
  }

  get baseUrl(): string {
    return `http://${this.api}`;
  }

  /** The process holding the given role (the combined one in "all" mode). */
  process(role: "scheduler" | "coordinator" | "worker"): TaskflowProcess {
    return this.processes.find((p) => p.name === role) ?? this.processes[0]!;
  }

  async waitReady(timeoutMs = 30_000): Promise<number> {
    const t0 = performance.now();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const p of this.processes) {
        if (p.proc.exitCode !== null) throw new Error(`taskflow ${p.name} exited ${p.proc.exitCode}:\n${logTail(p)}`);
      }
      const ok = await fetch(`${this.baseUrl}/readyz`).then((r) => r.status === 200, () => false);
      if (ok) return performance.now() - t0;
      await Bun.sleep(10);
    }
    throw new Error(`taskflow was not ready within ${timeoutMs} ms:\n${this.processes.map((p) => logTail(p)).join("\n")}`);
  }

  /** Waits until `n` workers are alive in the database (their Hello was handled). */
  async waitWorkers(sql: Sql, n: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const [r] = await sql<{ n: string }[]>`select count(*) as n from workers where status = 'alive'`;
      if (Number(r!.n) >= n) return;
      await Bun.sleep(20);
    }
    throw new Error(`no worker joined within ${timeoutMs} ms:\n${this.processes.map((p) => logTail(p)).join("\n")}`);
  }

  /** SIGTERM, then SIGKILL after a grace. */
  async stop(graceMs = 10_000): Promise<void> {
    // Workers first, as a deployment would stop them.
    for (const p of [...this.processes].reverse()) await stopProcess(p.proc, graceMs);
  }
}

export async function stopProcess(proc: Subprocess, graceMs = 10_000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill("SIGTERM");
  const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
  await proc.exited;
  clearTimeout(timer);
}

/** Kills whatever the benchmark started and is still running (on error or Ctrl-C). */
export function killAll(): void {
  for (const p of live) p.kill("SIGKILL");
}

/** Resident set size of a process, in MB (from /proc). */
export function rssMb(pid: number, field: "VmRSS" | "RssAnon" | "RssFile" = "VmRSS"): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** Samples a process's RSS every `everyMs` until stopped; stop() returns the peak in MB. */
export function sampleRss(pid: number, everyMs = 50): { stop: () => number } {
  let peak = 0;
  const take = () => {
    try {
      peak = Math.max(peak, rssMb(pid));
    } catch {
      // exited
    }
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      take();
      return peak;
    },
  };
}
