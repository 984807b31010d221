/**
 * A small taskflow cluster of real processes for the worker end-to-end tests: a
 * scheduler and a coordinator (one combined process on embedded PGlite, or two
 * processes on a fresh PostgreSQL database when TASKFLOW_TEST_DATABASE_URL is set),
 * plus workers started on demand. Tasks go in through the HTTP API.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPostgresDatabase, TEST_DATABASE_URL } from "./databases.ts";
import { freePort, startTaskflow, waitFor, waitReady, type TaskflowProcess } from "./processes.ts";

export type ClusterMode = "pglite" | "postgres";

/** The database mode of this run: PostgreSQL when a test database URL is given. */
export const CLUSTER_MODE: ClusterMode = TEST_DATABASE_URL ? "postgres" : "pglite";

export interface ClusterOptions {
  heartbeatMs?: number;
  workerTimeoutMs?: number;
  /** PGlite only: keep the data in a temp folder (not memory://), so the server can restart. */
  persistent?: boolean;
}

/** A task as GET /api/tasks/:id answers it (the fields these tests read). */
export interface TaskView {
  id: string;
  status: string;
  attempt: number;
  exit_code: number | null;
  error: string | null;
  worker: string | null;
  attempts: Array<{
    attempt: number;
    status: string;
    worker: string | null;
    picked_at: string | null;
    spawned_at: string | null;
    finished_at: string | null;
    exit_code: number | null;
    error: string | null;
    stdout_tail: string | null;
    stderr_tail: string | null;
  }>;
  events: Array<{ status: string; attempt: number; message: string | null }>;
}

export class WorkerCluster {
  readonly api: string;
  readonly grpcPort: number;
  /** The process running the coordinator role (the combined one on PGlite). */
  coordinator!: TaskflowProcess;
  /** Every coordinator process so far, restarts included. */
  readonly coordinators: TaskflowProcess[] = [];
  readonly workers: TaskflowProcess[] = [];
  #scheduler: TaskflowProcess | null = null;
  #databaseUrl: string | null = null;
  #dropDatabase: (() => Promise<void>) | null = null;
  #dataDir: string | null = null;
  readonly #timing: string[];

  private constructor(readonly mode: ClusterMode, opts: ClusterOptions) {
    this.api = `http://127.0.0.1:${freePort()}`;
    this.grpcPort = freePort();
    this.#timing = [`--heartbeat=${opts.heartbeatMs ?? 200}`, `--worker-timeout=${opts.workerTimeoutMs ?? 1500}`];
  }

  static async start(opts: ClusterOptions = {}): Promise<WorkerCluster> {
    const c = new WorkerCluster(CLUSTER_MODE, opts);
    if (c.mode === "postgres") {
      const db = await createPostgresDatabase();
      c.#databaseUrl = db.url;
      c.#dropDatabase = db.drop;
      c.#scheduler = startTaskflow(["--role=scheduler", `--database-url=${db.url}`, `--http=${c.api.slice(7)}`, ...c.#timing]);
      await waitReady(c.api, c.#scheduler);
    } else if (opts.persistent) {
      c.#dataDir = mkdtempSync(join(tmpdir(), "taskflow-e2e-"));
    }
    await c.startCoordinator();
    return c;
  }

  /** Starts (or restarts) the coordinator process and waits until it listens. */
  async startCoordinator(): Promise<void> {
    const grpc = `--grpc=127.0.0.1:${this.grpcPort}`;
    const args =
      this.mode === "postgres"
        ? ["--role=coordinator", `--database-url=${this.#databaseUrl}`, grpc]
        : ["--role=scheduler,coordinator", `--data-dir=${this.#dataDir ?? "memory://"}`, `--http=${this.api.slice(7)}`, grpc];
    const p = startTaskflow([...args, ...this.#timing]);
    this.coordinator = p;
    this.coordinators.push(p);
    await waitFor(`the coordinator to listen; output:\n${p.output()}`, () => {
      if (p.proc.exitCode !== null) throw new Error(`coordinator exited ${p.proc.exitCode}:\n${p.output()}`);
      return p.output().includes("gRPC for workers on");
    }, 30_000);
    if (this.mode === "pglite") await waitReady(this.api, p);
  }

  /** Starts a worker serving `queue`. */
  startWorker(name: string, queue: string, extra: string[] = []): TaskflowProcess {
    const w = startTaskflow(["--role=worker", `--coordinator=127.0.0.1:${this.grpcPort}`, `--name=${name}`, `--queues=${queue}`, "--concurrency=1", ...this.#timing, ...extra]);
    this.workers.push(w);
    return w;
  }

  /** Waits until the coordinator log shows the named worker joined (or reconnected). */
  async waitWorkerJoined(name: string, p: TaskflowProcess = this.coordinator): Promise<void> {
    await waitFor(`worker ${name} to join`, () => p.output().includes(`"worker":"${name}"`), 20_000);
  }

  /** Everything every coordinator process printed. */
  coordinatorOutput(): string {
    return this.coordinators.map((p) => p.output()).join("\n");
  }

  async submit(body: Record<string, unknown>): Promise<TaskView> {
    const r = await fetch(`${this.api}/api/tasks`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    if (r.status !== 201) throw new Error(`POST /api/tasks answered ${r.status}: ${await r.text()}`);
    return (await r.json()) as TaskView;
  }

  /** POSTs to an action route (cancel, retry); the answer must be 200. */
  async post(path: string): Promise<TaskView> {
    const r = await fetch(`${this.api}${path}`, { method: "POST" });
    if (r.status !== 200) throw new Error(`POST ${path} answered ${r.status}: ${await r.text()}`);
    return (await r.json()) as TaskView;
  }

  async task(id: string): Promise<TaskView> {
    const r = await fetch(`${this.api}/api/tasks/${id}`);
    if (r.status !== 200) throw new Error(`GET /api/tasks/${id} answered ${r.status}: ${await r.text()}`);
    return (await r.json()) as TaskView;
  }

  /** Polls the task until `done` holds; the error names the last state seen. */
  async waitTask(id: string, done: (t: TaskView) => boolean, what: string, timeoutMs = 30_000): Promise<TaskView> {
    let last: TaskView | null = null;
    try {
      return await waitFor(what, async () => {
        last = await this.task(id);
        return done(last) ? last : null;
      }, timeoutMs, 50);
    } catch (err) {
      throw new Error(`${(err as Error).message}; task was ${JSON.stringify(last)}`);
    }
  }

  async stop(): Promise<void> {
    const all = [...this.workers, this.#scheduler, ...this.coordinators].filter((p): p is TaskflowProcess => p !== null);
    for (const p of all) p.kill("SIGKILL");
    await Promise.all(all.map((p) => p.exited));
    await this.#dropDatabase?.().catch(() => {});
    if (this.#dataDir) rmSync(this.#dataDir, { recursive: true, force: true });
  }
}

/**
 * True while a process with this pid runs (signal 0 only probes). A zombie does not
 * count: an orphan waits for PID 1 to reap it, which some containers never do.
 */
export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}
