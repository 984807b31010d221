/**
 * A TCP proxy on 127.0.0.1 in front of a server (PostgreSQL, mostly), for tests and
 * benches that must see or hold back what passes: each connection gets its own hooks,
 * which see every chunk in each direction and may keep one from being forwarded.
 * A close on either side closes both. (test/chaos/tcp-proxy.ts is the partition
 * proxy: it holds and later delivers bytes, which this one never does.)
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";

/** Per connection: `up` sees client → server chunks, `down` server → client; returning false drops the chunk. */
export interface ConnectionHooks {
  up?(chunk: Buffer): boolean | void;
  down?(chunk: Buffer): boolean | void;
}

export class ForwardingProxy {
  #server: Server | null = null;
  readonly #sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
    private readonly hooksFor: () => ConnectionHooks = () => ({}),
  ) {}

  /** A proxy in front of the server of a postgres:// URL. */
  static for(url: string, hooksFor?: () => ConnectionHooks): ForwardingProxy {
    const u = new URL(url);
    return new ForwardingProxy(u.hostname, Number(u.port || 5432), hooksFor);
  }

  /** Listens on 127.0.0.1 at a free port; returns it. */
  async start(): Promise<number> {
    const server = createServer((client) => this.#accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    this.#server = server;
    this.port = (server.address() as { port: number }).port;
    return this.port;
  }

  /** The URL `url` with its host and port replaced by this proxy's. */
  urlThrough(url: string): string {
    const u = new URL(url);
    u.hostname = "127.0.0.1";
    u.port = String(this.port);
    return u.toString();
  }

  /** Sockets open now, both sides of every connection. */
  get open(): number {
    return this.#sockets.size;
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    const server = this.#server;
    this.#server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    const upstream = createConnection({ host: this.targetHost, port: this.targetPort });
    const hooks = this.hooksFor();
    for (const s of [client, upstream]) {
      this.#sockets.add(s);
      s.setNoDelay(true);
      s.on("error", () => {});
      s.on("close", () => {
        this.#sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on("data", (chunk: Buffer) => hooks.up?.(chunk) === false || upstream.write(chunk));
    upstream.on("data", (chunk: Buffer) => hooks.down?.(chunk) === false || client.write(chunk));
  }
}
