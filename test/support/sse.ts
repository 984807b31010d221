/** Reads Server-Sent Events from a fetch Response body, for tests. */

export interface SseEvent {
  id: string | null;
  event: string;
  data: string;
}

/** Collects a stream's events (and comments) as they arrive. */
export class SseReader {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  /** Everything received, for framing checks. */
  raw = "";
  readonly response: Promise<Response>;
  private buffer = "";
  private done = false;
  private reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  private readonly pump: Promise<void>;

  /** `abort`, when given, is the request's: close() aborts it, as a browser leaving the page. */
  constructor(
    response: Response | Promise<Response>,
    private readonly abort?: AbortController,
  ) {
    this.response = Promise.resolve(response);
    this.pump = this.run();
  }

  private async run(): Promise<void> {
    const decoder = new TextDecoder();
    try {
      const res = await this.response;
      if (!res.body) return;
      this.reader = res.body.getReader();
      while (!this.done) {
        const { done, value } = await this.reader.read();
        if (done) break;
        const text = decoder.decode(value, { stream: true });
        this.raw += text;
        this.buffer += text;
        let end: number;
        while ((end = this.buffer.indexOf("\n\n")) >= 0) {
          this.parse(this.buffer.slice(0, end));
          this.buffer = this.buffer.slice(end + 2);
        }
      }
    } catch {
      // Cancelled by close(), or the server went away.
    } finally {
      this.done = true;
    }
  }

  /** One event block, by the SSE rules (a field's value after "field:" loses one leading space). */
  private parse(block: string): void {
    let event = "message";
    let id: string | null = null;
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line === "") continue;
      if (line.startsWith(":")) {
        this.comments.push(line.slice(1).trim());
        continue;
      }
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") event = value;
      else if (field === "id") id = value;
      else if (field === "data") data.push(value);
    }
    if (data.length > 0) this.events.push({ id, event, data: data.join("\n") });
  }

  /** Waits for an event matching `match` (already received or future). */
  async waitFor(what: string, match: (e: SseEvent) => boolean, timeoutMs = 15_000): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(match);
      if (found) return found;
      if (this.done) throw new Error(`the stream ended before ${what}; got ${JSON.stringify(this.events.map((e) => e.event))}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.events.map((e) => `${e.event} ${e.data.slice(0, 80)}`))}`);
      await Bun.sleep(10);
    }
  }

  /** Waits for an event named `event` matching `pred`. */
  next(event: string, pred: (e: SseEvent) => boolean = () => true, timeoutMs = 5000): Promise<SseEvent> {
    return this.waitFor(`SSE event ${event}`, (e) => e.event === event && pred(e), timeoutMs);
  }

  named(event: string): SseEvent[] {
    return this.events.filter((e) => e.event === event);
  }

  /** Disconnects, like a client leaving. */
  async close(): Promise<void> {
    this.done = true;
    this.abort?.abort();
    await this.reader?.cancel().catch(() => {});
    await this.pump;
  }
}

/** The parsed JSON of an event's data. */
export function eventData(e: SseEvent): any {
  return JSON.parse(e.data);
}
