/**
 * A counting proxy in front of PostgreSQL: taskflow processes given its address
 * send every statement through it, and it counts the statements (each simple-protocol
 * Query and each extended-protocol Execute: BEGIN and COMMIT count too) exactly and
 * at once, where pg_stat_database's transaction counts lag by up to ~10 s per
 * backend and mix in every other client of the database.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";

/** The untyped first messages of a connection that do not start it (the server answers them and waits). */
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

/** Reads the frontend messages of one connection as they stream by, counting statements. */
class FrontendReader {
  private started = false;
  private header: number[] = [];
  private skip = 0;

  constructor(private readonly onStatement: () => void) {}

  feed(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      this.header.push(chunk[i++]!);
      // Typed messages: a type byte and a length; the first (untyped) ones: a length and a code.
      if (this.header.length < (this.started ? 5 : 8)) continue;
      const h = Buffer.from(this.header);
      this.header = [];
      if (this.started) {
        const type = String.fromCharCode(h[0]!);
        this.skip = h.readInt32BE(1) - 4;
        if (type === "Q" || type === "E") this.onStatement();
      } else {
        this.skip = h.readInt32BE(0) - 8;
        const code = h.readInt32BE(4);
        if (code !== SSL_REQUEST && code !== GSSENC_REQUEST) this.started = true;
      }
    }
  }
}

export class StatementCounter {
  #server: Server | null = null;
  readonly #sockets = new Set<Socket>();
  /** Statements seen so far. */
  statements = 0;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

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

  /** The database URL `url` with its host and port replaced by this proxy's. */
  urlThrough(url: string): string {
    const u = new URL(url);
    u.hostname = "127.0.0.1";
    u.port = String(this.port);
    return u.toString();
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    const server = this.#server;
    this.#server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    const upstream = createConnection({ host: this.targetHost, port: this.targetPort });
    const reader = new FrontendReader(() => this.statements++);
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
    client.on("data", (chunk: Buffer) => {
      reader.feed(chunk);
      upstream.write(chunk);
    });
    upstream.pipe(client);
  }
}
