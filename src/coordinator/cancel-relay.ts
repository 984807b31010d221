/**
 * Relays cancel requests (published by whichever scheduler cancelled a task) to the
 * worker holding the attempt, if that worker's stream is on this coordinator.
 */
import type { Service } from "../core/lifecycle.ts";
import type { Database } from "../db/client.ts";
import { CANCEL_CHANNEL, parsePayload, type CancelRequest } from "../db/channels.ts";
import type { Logger } from "../log/logger.ts";
import type { SessionRegistry } from "./session/session-registry.ts";

export class CancelRelay implements Service {
  readonly name = "cancel-relay";
  private unlisten: (() => Promise<void>) | null = null;

  constructor(
    private readonly database: Database,
    private readonly registry: SessionRegistry,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.unlisten = await this.database.listen(CANCEL_CHANNEL, (payload) => {
      for (const c of parsePayload<CancelRequest>(payload)) this.relay(c);
    });
  }

  async stop(): Promise<void> {
    await this.unlisten?.().catch(() => {});
    this.unlisten = null;
  }

  relay(c: CancelRequest): void {
    const session = this.registry.get(c.worker_id);
    if (!session) return;
    this.log.debug("cancelling task {taskId} attempt {attempt} on {worker}: {reason}", { taskId: c.task_id, attempt: c.attempt, worker: session.name, reason: c.reason });
    session.cancel(c.task_id, c.attempt, c.reason);
  }
}
