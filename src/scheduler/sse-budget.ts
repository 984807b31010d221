/**
 * What all of this process's Server-Sent Events streams may hold together: at
 * most `maxStreams` open at once (the next one gets 503), and at most
 * `maxBacklogBytes` of unread events queued across all of them. Each stream
 * already cuts off its own client past a per-client backlog; this bounds the sum,
 * so many clients that stop reading cannot add up to gigabytes. A cut-off client
 * reconnects and resumes (both SSE stacks support Last-Event-ID).
 */
import { Elysia } from "elysia";
import { errorBody } from "./http-errors.ts";

export { SSE_MAX_CONNECTIONS_DEFAULT };

import { SSE_MAX_CONNECTIONS_DEFAULT } from "../config/flags.ts";
import { requestPath } from "../core/request-path.ts";
/** Unread SSE bytes queued across all streams of the process. */
export const SSE_MAX_TOTAL_BACKLOG_BYTES = 64 * 1024 * 1024;
/** Once the total is over, streams with at least this much unread are the ones cut off. */
const CUT_OFF_MIN_BACKLOG_BYTES = 64 * 1024;

/** One open stream's share of the budget. */
export interface SseSlot {
  /**
   * Records this stream's unread bytes now; false when the stream must be cut off
   * (the process-wide backlog is over its bound and this stream holds a share of it).
   */
  report(backlogBytes: number): boolean;
  /** Gives the slot back; safe twice. */
  release(): void;
}

export class SseBudget {
  #open = 0;
  #backlog = 0;

  constructor(
    readonly maxStreams = SSE_MAX_CONNECTIONS_DEFAULT,
    readonly maxBacklogBytes = SSE_MAX_TOTAL_BACKLOG_BYTES,
  ) {}

  /** Streams open now. */
  get open(): number {
    return this.#open;
  }

  /** Unread bytes queued across all streams, as last reported. */
  get backlog(): number {
    return this.#backlog;
  }

  /** A slot for a new stream, or null when `maxStreams` are open. */
  acquire(): SseSlot | null {
    if (this.#open >= this.maxStreams) return null;
    this.#open++;
    let mine = 0;
    let released = false;
    return {
      report: (bytes) => {
        if (released) return false;
        this.#backlog += bytes - mine;
        mine = bytes;
        return !(this.#backlog > this.maxBacklogBytes && mine >= CUT_OFF_MIN_BACKLOG_BYTES);
      },
      release: () => {
        if (released) return;
        released = true;
        this.#open--;
        this.#backlog -= mine;
      },
    };
  }
}

/** True for the paths that answer with an event stream: /api/events and the dashboard's /live/*. */
export function isStreamPath(path: string): boolean {
  return path === "/api/events" || path.startsWith("/live/");
}

/**
 * Elysia answers HEAD by running the GET route and reading its whole body for a
 * Content-Length, which an event stream never ends: the request would hang and
 * hold a stream slot. HEAD of a stream path gets the stream's headers at once.
 * Register it after the auth guard, so HEAD needs the same credentials as GET.
 */
export function streamHeads() {
  return new Elysia({ name: "stream-heads" }).onRequest(({ request }) => {
    if (request.method !== "HEAD") return;
    const path = requestPath(request.url);
    if (!isStreamPath(path)) return;
    return new Response(null, { headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache, no-transform" } });
  });
}

/** The answer past the cap: 503 JSON, with a hint to retry later. */
export function sseBusyResponse(budget: SseBudget): Response {
  return Response.json(
    errorBody("too_many_streams", `this server has ${budget.maxStreams} live event streams open, its limit (--sse-max-connections); retry later`),
    { status: 503, headers: { "retry-after": "10", "cache-control": "no-store" } },
  );
}
