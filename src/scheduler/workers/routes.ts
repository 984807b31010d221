/** GET /api/workers (SPEC §3): worker sessions, live ones first, then the latest dead ones. */
import { Elysia } from "elysia";
import type { Db } from "../../db/client.ts";
import { listWorkers } from "../../db/queries/list-workers.ts";
import type { WorkerRow } from "../../db/schema/index.ts";

export function workerJson(w: WorkerRow) {
  return {
    id: w.id,
    name: w.name,
    host: w.host,
    status: w.status,
    queues: w.queues,
    concurrency: w.concurrency,
    running: w.running,
    last_heartbeat_at: w.lastHeartbeatAt.toISOString(),
    started_at: w.startedAt.toISOString(),
    version: w.version,
  };
}

export function workerRoutes(db: Db) {
  return new Elysia({ name: "workers", prefix: "/api/workers" }).get("", async () => ({ workers: (await listWorkers(db)).map(workerJson) }), {
    detail: { summary: "Worker sessions: alive and draining first, then the latest dead ones", tags: ["workers"] },
  });
}
