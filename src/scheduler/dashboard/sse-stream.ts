/**
 * Server-sent events written by hand: Elysia's sse() puts a multi-line payload on
 * one `data:` line, which browsers truncate at the first newline, and HTML
 * fragments are multi-line. Each event here is `id:` (optional), `event:`, one
 * `data:` line per line of the payload, then a blank line; a `: keepalive`
 * comment goes out every 15 s so proxies keep idle streams open.
 *
 * A client that stops reading is cut off once MAX_BUFFERED_BYTES are queued for
 * it: it reconnects and resynchronizes, instead of the server buffering forever.
 * The process-wide SseBudget (sse-budget.ts) caps open streams and their sum.
 */
import { sseBusyResponse, type SseBudget } from "../sse-budget.ts";

export const KEEPALIVE_MS = 15_000;
/** Reconnect delay the browser's EventSource is told to use. */
export const RETRY_MS = 2_000;
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

const encoder = new TextEncoder();

/**
 * One SSE event as text.
 *
 * @example formatEvent("rows", "<tr>\n</tr>", "7") // "id: 7\nevent: rows\ndata: <tr>\ndata: </tr>\n\n"
 */
export function formatEvent(event: string, data: string, id?: string): string {
  let out = id === undefined ? "" : `id: ${oneLine(id)}\n`;
  out += `event: ${oneLine(event)}\n`;
  for (const line of data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]/g, "");
}

export interface SseSink {
  /** Sends one event; false once the stream is closed. */
  send(event: string, data: string, id?: string): boolean;
  readonly closed: boolean;
  close(): void;
}

export interface SseOptions {
  keepaliveMs?: number;
  maxBufferedBytes?: number;
  /** The process's SSE budget: a stream past its cap is refused (503), and it may cut this stream off. */
  budget?: SseBudget;
}

/**
 * A streaming `text/event-stream` response. `open` runs once the stream starts and
 * returns the cleanup to run when it ends (client gone, server stopping, too slow).
 */
export function sseResponse(request: Request, open: (sink: SseSink) => () => void, opts: SseOptions = {}): Response {
  const slot = opts.budget?.acquire() ?? null;
  if (opts.budget && !slot) return sseBusyResponse(opts.budget);
  const highWaterMark = opts.maxBufferedBytes ?? MAX_BUFFERED_BYTES;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let cleanup: (() => void) | null = null;
  let keepalive: Timer | undefined;
  let closed = false;

  const close = () => {
    if (closed) return;
    closed = true;
    slot?.release();
    clearInterval(keepalive);
    request.signal.removeEventListener("abort", close);
    try {
      cleanup?.();
    } finally {
      try {
        controller.close();
      } catch {
        // Already closed or cancelled by the client.
      }
    }
  };
  const write = (text: string): boolean => {
    if (closed) return false;
    controller.enqueue(encoder.encode(text));
    const desired = controller.desiredSize ?? 1;
    if (desired <= 0 || (slot !== null && !slot.report(highWaterMark - desired))) {
      close();
      return false;
    }
    return true;
  };
  const sink: SseSink = {
    send: (event, data, id) => write(formatEvent(event, data, id)),
    get closed() {
      return closed;
    },
    close,
  };

  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
        write(`retry: ${RETRY_MS}\n\n`);
        keepalive = setInterval(() => write(": keepalive\n\n"), opts.keepaliveMs ?? KEEPALIVE_MS);
        if (request.signal.aborted) return close();
        request.signal.addEventListener("abort", close);
        cleanup = open(sink);
        // open() may have closed the stream itself; run its cleanup now.
        if (closed) cleanup();
      },
      cancel() {
        close();
      },
    },
    { highWaterMark, size: (chunk) => chunk?.byteLength ?? 0 },
  );
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      // nginx: pass events through as they come instead of buffering the response.
      "x-accel-buffering": "no",
    },
  });
}
