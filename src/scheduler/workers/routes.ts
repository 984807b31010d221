/** GET /api/workers (SPEC §3): worker sessions, live ones first, then the latest dead ones. */
import { Elysia } from "elysia";
import type { Db } from "../../db/client.ts";
import { listWorkers } from "../../db/queries/list-workers.ts";
import type { WorkerRow } from "../../db/schema/index.ts";
import { jsonAnswer } from "../openapi/route-docs.ts";
import { WorkerListJsonSchema, type WorkerJson } from "./model.ts";

export function workerJson(w: WorkerRow): WorkerJson {
  return {
    id: w.id,
    name: w.name,
    host: w.host,
    // The column holds only these three (open-worker-session.ts, record-heartbeat.ts, mark-worker-left.ts, mark-dead-workers.ts).
    status: w.status as WorkerJson["status"],
    queues: w.queues,
    labels: w.labels ?? {},
    concurrency: w.concurrency,
    running: w.running,
    last_heartbeat_at: w.lastHeartbeatAt.toISOString(),
    started_at: w.startedAt.toISOString(),
    version: w.version,
  };
}

export function workerRoutes(db: Db) {
  return new Elysia({ name: "workers", prefix: "/api/workers" }).get("", async () => ({ workers: (await listWorkers(db)).map(workerJson) }), {
    detail: {
      summary: "Worker sessions: alive and draining first, then the latest dead ones",
      tags: ["workers"],
      responses: { 200: jsonAnswer("the worker sessions", WorkerListJsonSchema) },
    },
  });
}
