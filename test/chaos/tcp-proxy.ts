/**
 * A TCP proxy the test controls, put between a worker and its coordinator to cut the
 * link without either process knowing. A cut direction stops forwarding silently, as
 * a network partition does: nothing is delivered and nothing is closed, so only
 * timeouts and keepalive pings can notice. Bytes and closes sent during a cut are
 * held and delivered when it heals (as TCP retransmission would, if the connection
 * survived). While any direction is cut, new connections are accepted but get no
 * upstream connection (a SYN lost in the partition) until the cut heals.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";

export type Direction = "up" | "down";

/** One proxied connection: client (the worker) ⇄ server (the coordinator). */
class Link {
  server: Socket | null = null;
  /** Held bytes per direction; up = client → server. */
  readonly held: Record<Direction, Buffer[]> = { up: [], down: [] };
  /** A close waiting behind a cut, per direction. */
  readonly closing: Record<Direction, boolean> = { up: false, down: false };
  closed = false;

  constructor(readonly client: Socket) {}

  destroy(): void {
    this.closed = true;
    this.client.destroy();
    this.server?.destroy();
  }
}

export class TcpProxy {
  #server: Server | null = null;
  readonly #links = new Set<Link>();
  readonly #cut: Record<Direction, boolean> = { up: false, down: false };
  /** Connections accepted so far. */
  accepted = 0;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** Listens on 127.0.0.1 (a free port unless given); returns the port. */
  async start(port = 0): Promise<number> {
    const server = createServer((client) => this.#accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    this.#server = server;
    this.port = (server.address() as { port: number }).port;
    return this.port;
  }

  /** Stops forwarding in the given directions (default both), silently. */
  cut(...directions: Direction[]): void {
    for (const d of directions.length ? directions : (["up", "down"] as Direction[])) this.#cut[d] = true;
  }

  /** Forwards again: held bytes and closes go through, waiting connections get their upstream. */
  heal(): void {
    this.#cut.up = false;
    this.#cut.down = false;
    for (const link of this.#links) {
      if (!link.server) this.#connectUpstream(link);
      else this.#flush(link);
    }
  }

  get isCut(): boolean {
    return this.#cut.up || this.#cut.down;
  }

  /** Connections open now. */
  get open(): number {
    return this.#links.size;
  }

  async stop(): Promise<void> {
    for (const link of this.#links) link.destroy();
    this.#links.clear();
    const server = this.#server;
    this.#server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    this.accepted++;
    const link = new Link(client);
    this.#links.add(link);
    client.setNoDelay(true);
    client.on("data", (chunk: Buffer) => this.#forward(link, "up", chunk));
    client.on("end", () => this.#close(link, "up"));
    client.on("error", () => {});
    client.on("close", () => this.#close(link, "up"));
    if (!this.isCut) this.#connectUpstream(link);
  }

  #connectUpstream(link: Link): void {
    if (link.closed || link.server) return;
    const server = createConnection({ host: this.targetHost, port: this.targetPort });
    link.server = server;
    server.setNoDelay(true);
    server.on("connect", () => this.#flush(link));
    server.on("data", (chunk: Buffer) => this.#forward(link, "down", chunk));
    server.on("end", () => this.#close(link, "down"));
    server.on("error", () => {});
    server.on("close", () => this.#close(link, "down"));
  }

  #forward(link: Link, d: Direction, chunk: Buffer): void {
    const to = d === "up" ? link.server : link.client;
    if (this.#cut[d] || !to || to.connecting || link.held[d].length > 0) link.held[d].push(chunk);
    else to.write(chunk);
  }

  /** The sender of direction `d` hung up: pass it on, unless the direction is cut. */
  #close(link: Link, d: Direction): void {
    if (link.closed) return;
    link.closing[d] = true;
    if (!this.#cut[d]) this.#flush(link);
  }

  #flush(link: Link): void {
    if (link.closed) return;
    for (const d of ["up", "down"] as Direction[]) {
      if (this.#cut[d]) continue;
      const to = d === "up" ? link.server : link.client;
      if (!to || to.connecting) continue;
      for (const chunk of link.held[d].splice(0)) to.write(chunk);
      if (link.closing[d]) {
        // One side hung up: end the other once what it sent is through.
        to.end(() => link.destroy());
        link.closed = true;
        this.#links.delete(link);
        return;
      }
    }
  }
}
