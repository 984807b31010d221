/**
 * Follows GET /api/events: reads Server-Sent Events, reconnects with
 * Last-Event-ID after a drop (backing off to 5 s), and hands each event to a
 * callback. Used as a wake-up signal: callers re-read the state they care
 * about from the API, so a missed or replayed event costs nothing.
 */
import type { ApiClient } from "./api-client.ts";

export interface SseMessage {
  id: string | null;
  event: string;
  data: string;
}

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 5000;

/**
 * Splits an SSE body into messages (event, data, id); comments and `retry:` are skipped.
 * @example for await (const m of readSse(res.body!)) console.log(m.event, m.data)
 */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buffer = "";
  const reader = body.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    buffer += decoder.decode(r.value, { stream: true }).replace(/\r\n?/g, "\n");
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const message = parseBlock(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (message) yield message;
    }
  }
}

function parseBlock(block: string): SseMessage | null {
  let id: string | null = null;
  let event = "message";
  const data: string[] = [];
  for (const line of block.split("\n")) {
    const colon = line.indexOf(":");
    if (colon === 0) continue;
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "id") id = value;
    else if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  return data.length > 0 ? { id, event, data: data.join("\n") } : null;
}

export interface EventFollowerOptions {
  onEvent(message: SseMessage): void;
  /** Called each time the stream is (re)connected: events may have been missed before it. */
  onConnect?(): void;
}

/** A reconnecting subscription to /api/events; stop() ends it. */
export class EventFollower {
  private readonly abort = new AbortController();
  private lastEventId: string | null = null;
  /** True while a stream is open. */
  connected = false;
  /** The error that made the last connection attempt fail (a 401 is worth telling the user). */
  lastError: unknown = null;
  private readonly done: Promise<void>;

  constructor(
    private readonly api: ApiClient,
    private readonly opts: EventFollowerOptions,
  ) {
    this.done = this.loop();
  }

  stop(): Promise<void> {
    this.abort.abort();
    return this.done;
  }

  private async loop(): Promise<void> {
    let delay = RECONNECT_MIN_MS;
    while (!this.abort.signal.aborted) {
      try {
        const res = await this.api.openEvents(this.lastEventId, this.abort.signal);
        this.connected = true;
        this.lastError = null;
        delay = RECONNECT_MIN_MS;
        this.opts.onConnect?.();
        for await (const message of readSse(res.body!)) {
          if (message.id) this.lastEventId = message.id;
          this.opts.onEvent(message);
        }
      } catch (err) {
        if (this.abort.signal.aborted) break;
        this.lastError = err;
      }
      this.connected = false;
      await sleep(delay, this.abort.signal);
      delay = Math.min(RECONNECT_MAX_MS, delay * 2);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });
}
