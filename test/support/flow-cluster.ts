/**
 * A cluster of real processes for the flow-control end-to-end tests. On PostgreSQL
 * (TASKFLOW_TEST_DATABASE_URL set): a scheduler and two coordinators, so claims race
 * for real; on PGlite: one scheduler+coordinator process. Workers dial the
 * coordinators in turn. `sql` samples the database directly (PostgreSQL only).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, type Database } from "../../src/db/client.ts";
import { createPostgresDatabase, TEST_DATABASE_URL } from "./databases.ts";
import { freePort, startTaskflow, waitFor, waitReady, type TaskflowProcess } from "./processes.ts";

const TIMING = ["--heartbeat=200", "--worker-timeout=1500"];

export class FlowCluster {
  readonly base: string;
  readonly grpc: string[] = [];
  readonly processes: TaskflowProcess[] = [];
  /** A direct connection to the cluster's PostgreSQL database (null on PGlite). */
  database: Database | null = null;
  readonly #cleanups: (() => Promise<void> | void)[] = [];

  private constructor() {
    this.base = `http://127.0.0.1:${freePort()}`;
  }

  static async start(): Promise<FlowCluster> {
    const c = new FlowCluster();
    const http = `--http=${c.base.slice(7)}`;
    if (TEST_DATABASE_URL) {
      const db = await createPostgresDatabase();
      c.#cleanups.push(db.drop);
      await waitReady(c.base, c.spawn(["--role=scheduler", `--database-url=${db.url}`, http]));
      const coordinators = [0, 1].map(() => {
        const grpc = `127.0.0.1:${freePort()}`;
        c.grpc.push(grpc);
        return c.spawn(["--role=coordinator", `--database-url=${db.url}`, `--grpc=${grpc}`]);
      });
      for (const p of coordinators) await waitFor("a coordinator to listen", () => p.output().includes("gRPC for workers on"), 30_000);
      c.database = await openDatabase({ databaseUrl: db.url, dataDir: "" });
    } else {
      const dir = mkdtempSync(join(tmpdir(), "taskflow-flow-e2e-"));
      c.#cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const grpc = `127.0.0.1:${freePort()}`;
      c.grpc.push(grpc);
      await waitReady(c.base, c.spawn(["--role=scheduler,coordinator", `--data-dir=${dir}`, http, `--grpc=${grpc}`]));
    }
    return c;
  }

  spawn(args: string[]): TaskflowProcess {
    const p = startTaskflow([...args, ...TIMING]);
    this.processes.push(p);
    return p;
  }

  /** Starts `n` workers on `queues`, each dialing the next coordinator first; waits until all are alive. */
  async startWorkers(n: number, queues: string, concurrency: number): Promise<void> {
    const before = (await this.api("GET", "/api/workers")).workers.filter((w: { status: string }) => w.status === "alive").length;
    for (let i = 0; i < n; i++) {
      const order = [...this.grpc.slice(i % this.grpc.length), ...this.grpc.slice(0, i % this.grpc.length)];
      this.spawn(["--role=worker", `--coordinator=${order.join(",")}`, `--name=w${i}-${queues}`, `--queues=${queues}`, `--concurrency=${concurrency}`]);
    }
    await waitFor("the workers to join", async () => (await this.api("GET", "/api/workers")).workers.filter((w: { status: string }) => w.status === "alive").length >= before + n, 30_000);
  }

  async api(method: string, path: string, body?: unknown): Promise<any> {
    const r = await fetch(`${this.base}${path}`, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (r.status >= 300) throw new Error(`${method} ${path} answered ${r.status}: ${await r.text()}`);
    return r.json();
  }

  /** Waits until every task of `ids` has finished; returns them as GET /api/tasks/:id answers. */
  async waitFinished(ids: string[], timeoutMs = 60_000): Promise<any[]> {
    return waitFor(`${ids.length} tasks to finish`, async () => {
      const all = await Promise.all(ids.map((id) => this.api("GET", `/api/tasks/${id}`)));
      return all.every((t) => ["completed", "failed", "cancelled"].includes(t.status)) ? all : null;
    }, timeoutMs, 100);
  }

  async stop(): Promise<void> {
    for (const p of this.processes) p.kill("SIGKILL");
    await Promise.all(this.processes.map((p) => p.exited));
    await this.database?.close();
    for (const c of this.#cleanups) await c();
  }
}
