/**
 * GET /api/workers (SPEC §3): worker sessions, live ones first, then the latest
 * dead ones; POST /api/workers/:id/drain and /resume: a user stops a worker taking
 * new tasks (its running ones finish), and lets it take them again.
 */
import { Elysia } from "elysia";
import { NotFoundError } from "../../core/errors.ts";
import { isUuid } from "../../core/uuid.ts";
import type { Db } from "../../db/client.ts";
import { setWorkerDraining } from "../../db/queries/set-worker-draining.ts";
import type { Logger } from "../../log/logger.ts";
import { listWorkers } from "../../db/queries/list-workers.ts";
import type { WorkerRow } from "../../db/schema/index.ts";
import { errorAnswer, jsonAnswer } from "../openapi/route-docs.ts";
import { WorkerJsonSchema, WorkerListJsonSchema, type WorkerJson } from "./model.ts";

export function workerJson(w: WorkerRow): WorkerJson {
  return {
    id: w.id,
    name: w.name,
    host: w.host,
    // The column holds only alive, draining and dead (open-worker-session.ts, record-heartbeat.ts, mark-worker-left.ts,
    // mark-dead-workers.ts); a session that ended on purpose (a drained worker that exited) shows as left.
    status: w.status === "dead" && w.stopReason === "left" ? "left" : (w.status as WorkerJson["status"]),
    queues: w.queues,
    labels: w.labels ?? {},
    concurrency: w.concurrency,
    running: w.running,
    last_heartbeat_at: w.lastHeartbeatAt.toISOString(),
    started_at: w.startedAt.toISOString(),
    version: w.version,
  };
}

/** Who acted, as the logs say. */
const ACTOR = "api";
const tags = ["workers"];
const actionAnswers = (what: string) => ({
  200: jsonAnswer(`the worker, ${what}`, WorkerJsonSchema),
  404: errorAnswer("no worker session has this id"),
  409: errorAnswer("the session has ended (left or dead)"),
});

export function workerRoutes(db: Db, log?: Logger) {
  const setDraining = async (id: string, draining: boolean) => {
    if (!isUuid(id)) throw new NotFoundError(`no worker with id ${id}`);
    const w = await setWorkerDraining(db, id.toLowerCase(), draining, `${draining ? "drained" : "resumed"} by ${ACTOR}`);
    log?.info(draining ? "worker {worker} drained by a user" : "worker {worker} resumed by a user", { worker: w.name, workerId: w.id });
    return workerJson(w);
  };
  return new Elysia({ name: "workers", prefix: "/api/workers" })
    .get("", async () => ({ workers: (await listWorkers(db)).map(workerJson) }), {
      detail: {
        summary: "Worker sessions: alive and draining first, then the latest dead ones",
        tags,
        responses: { 200: jsonAnswer("the worker sessions", WorkerListJsonSchema) },
      },
    })
    .post("/:id/drain", ({ params }) => setDraining(params.id, true), {
      parse: "none",
      detail: { summary: "Drain a worker: it takes no new tasks and finishes its running ones (status draining)", tags, responses: actionAnswers("draining") },
    })
    .post("/:id/resume", ({ params }) => setDraining(params.id, false), {
      parse: "none",
      detail: { summary: "Resume a drained worker: it takes tasks again (unless it is shutting down)", tags, responses: actionAnswers("alive again") },
    });
}
