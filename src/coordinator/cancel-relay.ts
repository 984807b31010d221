/**
 * Relays cancel requests (published by whichever scheduler cancelled a task) to the
 * worker holding the attempt, if that worker's stream is on this coordinator.
 */
import type { Database } from "../db/client.ts";
import { CANCEL_CHANNEL, type CancelRequest } from "../db/channels.ts";
import type { Logger } from "../log/logger.ts";
import { ChannelRelay } from "./channel-relay.ts";
import type { SessionRegistry } from "./session/session-registry.ts";

export class CancelRelay extends ChannelRelay<CancelRequest> {
  readonly name = "cancel-relay";

  constructor(database: Database, registry: SessionRegistry, log: Logger) {
    super(database, registry, log, CANCEL_CHANNEL);
  }

  relay(c: CancelRequest): void {
    const session = this.registry.get(c.worker_id);
    if (!session) return;
    this.log.debug("cancelling task {taskId} attempt {attempt} on {worker}: {reason}", { taskId: c.task_id, attempt: c.attempt, worker: session.name, reason: c.reason });
    session.cancel(c.task_id, c.attempt, c.reason);
  }
}
