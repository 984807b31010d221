/**
 * A coordinator's listener on one NOTIFY channel whose requests name a worker
 * session: each request is relayed to that worker if its stream is on this
 * coordinator (other coordinators ignore it). Cancels and drain/resume use it.
 */
import type { Service } from "../core/lifecycle.ts";
import type { Database } from "../db/client.ts";
import { parsePayload } from "../db/channels.ts";
import type { Logger } from "../log/logger.ts";
import type { SessionRegistry } from "./session/session-registry.ts";

export abstract class ChannelRelay<Request> implements Service {
  abstract readonly name: string;
  private unlisten: (() => Promise<void>) | null = null;

  constructor(
    private readonly database: Database,
    protected readonly registry: SessionRegistry,
    protected readonly log: Logger,
    private readonly channel: string,
  ) {}

  async start(): Promise<void> {
    this.unlisten = await this.database.listen(this.channel, (payload) => {
      for (const r of parsePayload<Request>(payload)) this.relay(r);
    });
  }

  async stop(): Promise<void> {
    await this.unlisten?.().catch(() => {});
    this.unlisten = null;
  }

  abstract relay(r: Request): void;
}
