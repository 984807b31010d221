/**
 * A counting proxy in front of PostgreSQL: taskflow processes given its address
 * send every statement through it, and it counts the statements (each simple-protocol
 * Query and each extended-protocol Execute: BEGIN and COMMIT count too) exactly and
 * at once, where pg_stat_database's transaction counts lag by up to ~10 s per
 * backend and mix in every other client of the database.
 */
import { ForwardingProxy } from "../../test/support/forwarding-proxy.ts";

/** The untyped first messages of a connection that do not start it (the server answers them and waits). */
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

/** Reads the frontend messages of one connection as they stream by, counting statements. */
class FrontendReader {
  private started = false;
  private header: number[] = [];
  private skip = 0;
  /** With `texts`: the body of the current Parse, Bind or Query message, and the statement each name stands for. */
  private body: number[] | null = null;
  private type = "";
  private readonly named = new Map<string, string>();
  private bound = "";

  constructor(
    private readonly onStatement: (text: string) => void,
    private readonly texts = false,
  ) {}

  /** Keeps the statement texts (Parse, Bind, Query) to say which ones ran; slower. */
  private take(byte: number): void {
    if (!this.body) return;
    this.body.push(byte);
    if (this.skip > 0) return;
    const parts = Buffer.from(this.body).toString("utf8").split("\0");
    if (this.type === "P") this.named.set(parts[0]!, parts[1]!.replace(/\s+/g, " ").slice(0, 120));
    if (this.type === "B") this.bound = this.named.get(parts[1]!) ?? "?";
    if (this.type === "Q") this.onStatement(parts[0]!.replace(/\s+/g, " ").slice(0, 120));
    this.body = null;
  }

  feed(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        if (this.body) {
          this.skip--;
          this.take(chunk[i++]!);
          continue;
        }
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
        if (this.texts && (type === "P" || type === "B" || type === "Q") && this.skip > 0) {
          this.type = type;
          this.body = [];
        }
        if (type === "Q" && !this.body) this.onStatement("");
        if (type === "E") this.onStatement(this.bound);
      } else {
        this.skip = h.readInt32BE(0) - 8;
        const code = h.readInt32BE(4);
        if (code !== SSL_REQUEST && code !== GSSENC_REQUEST) this.started = true;
      }
    }
  }
}

export class StatementCounter {
  readonly #proxy: ForwardingProxy;
  /** Statements seen so far. */
  statements = 0;
  /** With `texts`: statements seen so far by their text (the first 120 characters). */
  readonly byText = new Map<string, number>();

  constructor(targetHost: string, targetPort: number, private readonly texts = false) {
    this.#proxy = new ForwardingProxy(targetHost, targetPort, () => {
      const reader = new FrontendReader((text) => {
        this.statements++;
        if (this.texts) this.byText.set(text, (this.byText.get(text) ?? 0) + 1);
      }, this.texts);
      return { up: (chunk) => reader.feed(chunk) };
    });
  }

  get port(): number {
    return this.#proxy.port;
  }

  /** The statements counted by text since `since` (a copy of byText), most frequent first. */
  topSince(since: Map<string, number>, n = 8): Array<[string, number]> {
    return [...this.byText].map(([t, k]): [string, number] => [t, k - (since.get(t) ?? 0)]).filter(([, k]) => k > 0).sort((a, b) => b[1] - a[1]).slice(0, n);
  }

  /** Listens on 127.0.0.1 at a free port; returns it. */
  start(): Promise<number> {
    return this.#proxy.start();
  }

  /** The database URL `url` with its host and port replaced by this proxy's. */
  urlThrough(url: string): string {
    return this.#proxy.urlThrough(url);
  }

  stop(): Promise<void> {
    return this.#proxy.stop();
  }
}
