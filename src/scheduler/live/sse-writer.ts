/**
 * The one Server-Sent Events writer: every stream (GET /api/events and the
 * dashboard's /live/* streams) is a `text/event-stream` response built here.
 *
 * - Framing: `id:` (optional), `event:`, one `data:` line per line of the payload
 *   (browsers cut a `data:` line at its first line break, and HTML fragments are
 *   multi-line), then a blank line. JSON payloads are one line anyway.
 * - A `retry:` hint first, and a `: keepalive` comment every KEEP_ALIVE_MS so proxies
 *   and browsers keep idle streams open.
 * - Back-pressure: a client that stops reading is cut off (the stream errors, its
 *   queue is dropped, its cleanup runs) once MAX_BUFFERED_BYTES wait unread; it
 *   reconnects with its Last-Event-ID and resumes (feed-position.ts), so one stuck
 *   browser cannot grow the server's memory.
 *
 * What a stream sends is up to its source: `open` gets a sink and returns the
 * cleanup to run when the stream ends (client gone, server stopping, too slow).
 */
import { coerceError } from "../../core/errors.ts";
import type { Logger } from "../../log/logger.ts";
import { sseBusyResponse, type SseBudget } from "../sse-budget.ts";

/** A comment this often keeps proxies and browsers from timing out an idle stream. */
export const KEEP_ALIVE_MS = 15_000;
/** Reconnect delay the browser's EventSource is told to use (the SSE `retry` field). */
export const RETRY_MS = 2_000;
/** Unread bytes allowed to queue up for one client before it is cut off. */
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

/** A comment line: ignored by clients. */
export function formatComment(text: string): string {
  return `: ${oneLine(text)}\n\n`;
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]/g, "");
}

export interface SseSink {
  /** Sends one event; false once the stream is closed. */
  send(event: string, data: string, id?: string): boolean;
  /** Sends one event whose data is `data` as JSON. */
  sendJson(event: string, data: unknown, id?: string): boolean;
  readonly closed: boolean;
  /** Bytes written and not yet read by the client: a source with much to send waits while this is high. */
  readonly queuedBytes: number;
  close(): void;
}

export interface SseOptions {
  /** Aborts when the client goes away (the request's signal). */
  signal?: AbortSignal;
  keepAliveMs?: number;
  maxBufferedBytes?: number;
  /** Told when a slow client is cut off. */
  log?: Logger;
  /**
   * The process's budget of streams and unread bytes (--sse-max-connections): past
   * its stream cap the answer is 503; past its total backlog the streams holding a
   * share of it are cut off like a slow client.
   */
  budget?: SseBudget;
}

/**
 * A streaming `text/event-stream` response. `open` runs once the stream starts and
 * returns the cleanup to run when it ends.
 */
export function sseResponse(open: (sink: SseSink) => () => void, opts: SseOptions = {}): Response {
  const slot = opts.budget ? opts.budget.acquire() : undefined;
  if (opts.budget && !slot) return sseBusyResponse(opts.budget);
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let cleanup: (() => void) | null = null;
  let keepAlive: Timer | undefined;
  let closed = false;
  const maxBuffered = opts.maxBufferedBytes ?? MAX_BUFFERED_BYTES;

  /** Ends the stream once: `error` drops what is queued (a client too slow to read it). */
  const end = (error?: Error) => {
    if (closed) return;
    closed = true;
    clearInterval(keepAlive);
    slot?.release();
    opts.signal?.removeEventListener("abort", close);
    try {
      cleanup?.();
    } catch (err) {
      opts.log?.warn("closing an event stream failed: {error}", { error: coerceError(err).message });
    } finally {
      try {
        if (error) controller.error(error);
        else controller.close();
      } catch {
        // Already closed or cancelled by the client.
      }
    }
  };
  const close = () => end();
  const write = (text: string): boolean => {
    if (closed) return false;
    controller.enqueue(encoder.encode(text));
    const unread = maxBuffered - (controller.desiredSize ?? maxBuffered);
    if ((controller.desiredSize ?? 1) < 0 || (slot && !slot.report(unread))) {
      opts.log?.warn("cut off an event stream client that stopped reading; it will resume from its last event id");
      end(new Error("client too slow"));
      return false;
    }
    return true;
  };
  const sink: SseSink = {
    send: (event, data, id) => write(formatEvent(event, data, id)),
    sendJson: (event, data, id) => write(formatEvent(event, JSON.stringify(data), id)),
    get closed() {
      return closed;
    },
    get queuedBytes() {
      return closed ? 0 : Math.max(0, maxBuffered - (controller.desiredSize ?? maxBuffered));
    },
    close,
  };

  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
        write(`retry: ${RETRY_MS}\n\n`);
        keepAlive = setInterval(() => write(formatComment("keepalive")), opts.keepAliveMs ?? KEEP_ALIVE_MS);
        if (opts.signal?.aborted) return close();
        opts.signal?.addEventListener("abort", close);
        cleanup = open(sink);
        // open() may have closed the stream itself; run its cleanup now.
        if (closed) cleanup();
      },
      cancel: close,
    },
    // The queue's size in bytes, so desiredSize < 0 means more than maxBuffered wait unread.
    { highWaterMark: maxBuffered, size: (chunk) => chunk?.byteLength ?? 0 },
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
