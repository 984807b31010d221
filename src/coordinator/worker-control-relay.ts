/**
 * Relays a user's drain or resume of a worker (published by whichever scheduler
 * took the request, db/queries/set-worker-draining.ts) to the worker, if its
 * stream is on this coordinator. The workers table already says "draining" (or
 * "alive"); the worker's next heartbeat confirms it.
 */
import type { Service } from "../core/lifecycle.ts";
import type { Database } from "../db/client.ts";
import { parsePayload, WORKER_CONTROL_CHANNEL, type WorkerControlRequest } from "../db/channels.ts";
import type { Logger } from "../log/logger.ts";
import type { SessionRegistry } from "./session/session-registry.ts";

export class WorkerControlRelay implements Service {
  readonly name = "worker-control-relay";
  private unlisten: (() => Promise<void>) | null = null;

  constructor(
    private readonly database: Database,
    private readonly registry: SessionRegistry,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.unlisten = await this.database.listen(WORKER_CONTROL_CHANNEL, (payload) => {
      for (const r of parsePayload<WorkerControlRequest>(payload)) this.relay(r);
    });
  }

  async stop(): Promise<void> {
    await this.unlisten?.().catch(() => {});
    this.unlisten = null;
  }

  relay(r: WorkerControlRequest): void {
    const session = this.registry.get(r.worker_id);
    if (!session) return;
    this.log.info(r.action === "drain" ? "asking worker {worker} to drain: {reason}" : "asking worker {worker} to resume: {reason}", { worker: session.name, reason: r.reason });
    if (r.action === "drain") session.drain(r.reason);
    else session.resume(r.reason);
  }
}
