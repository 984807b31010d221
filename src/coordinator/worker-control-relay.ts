/**
 * Relays a user's drain or resume of a worker (published by whichever scheduler
 * took the request, db/queries/set-worker-draining.ts) to the worker, if its
 * stream is on this coordinator. The workers table already says "draining" (or
 * "alive"); the worker's next heartbeat confirms it.
 */
import type { Database } from "../db/client.ts";
import { WORKER_CONTROL_CHANNEL, type WorkerControlRequest } from "../db/channels.ts";
import type { Logger } from "../log/logger.ts";
import { ChannelRelay } from "./channel-relay.ts";
import type { SessionRegistry } from "./session/session-registry.ts";

export class WorkerControlRelay extends ChannelRelay<WorkerControlRequest> {
  readonly name = "worker-control-relay";

  constructor(database: Database, registry: SessionRegistry, log: Logger) {
    super(database, registry, log, WORKER_CONTROL_CHANNEL);
  }

  relay(r: WorkerControlRequest): void {
    const session = this.registry.get(r.worker_id);
    if (!session) return;
    this.log.info(r.action === "drain" ? "asking worker {worker} to drain: {reason}" : "asking worker {worker} to resume: {reason}", { worker: session.name, reason: r.reason });
    if (r.action === "drain") session.drain(r.reason);
    else session.resume(r.reason);
  }
}
