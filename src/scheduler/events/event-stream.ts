/**
 * One client's /api/events stream: the change feed's transitions as `task` and
 * `worker` events (replaying kept batches after Last-Event-ID), `metrics` every
 * few seconds from the shared ticker, and keep-alive comments. It never LISTENs
 * itself: the process's single change feed does, for every client at once.
 *
 * A client too slow to read is cut off once its unread backlog passes
 * MAX_BACKLOG_BYTES; it reconnects with its Last-Event-ID and resumes from the
 * feed's history, so one stuck browser cannot grow the server's memory.
 */
import type { Logger } from "../../log/logger.ts";
import type { ChangeFeed, FeedBatch } from "../change-feed.ts";
import type { MetricsJson } from "../metrics/metrics-json.ts";
import { formatEventId, parseEventId, sseComment, sseEvent, taskEventJson, workerEventJson } from "./event-format.ts";
import type { MetricsTicker } from "./metrics-ticker.ts";
import type { SseSlot } from "../sse-budget.ts";

/** A comment this often keeps proxies and browsers from timing out an idle stream. */
export const KEEP_ALIVE_MS = 15_000;
/** Clients reconnect after this long (the SSE `retry` field). */
export const RETRY_MS = 2000;
/** Unread bytes allowed to queue up for one client before it is cut off. */
export const MAX_BACKLOG_BYTES = 4 * 1024 * 1024;
/** A resume that would replay more than this sends `reset` instead, so it can never trip the cut-off above. */
export const MAX_REPLAY_BYTES = 1024 * 1024;

export interface EventStreamDeps {
  feed: ChangeFeed;
  ticker: MetricsTicker;
  /** First `metrics` event, sent at connect. */
  metricsNow: () => Promise<MetricsJson>;
  /** This process's id epoch (see event-format.ts). */
  epoch: string;
  log: Logger;
  onOpen?: () => void;
  onClose?: () => void;
  /** This stream's share of the process's SSE budget, released on close; it may cut the client off. */
  slot?: SseSlot;
  keepAliveMs?: number;
}

const encoder = new TextEncoder();
const STREAM_HIGH_WATER_MARK = 64 * 1024;

/** The SSE body for one client; `lastEventId` is its Last-Event-ID header, if any. */
export function openEventStream(deps: EventStreamDeps, lastEventId: string | null): ReadableStream<Uint8Array> {
  const cleanups: (() => void)[] = [];
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    deps.slot?.release();
    for (const c of cleanups.splice(0)) c();
    deps.onClose?.();
  };
  /** Registers what close() must undo; runs it at once if the stream is already closed. */
  const track = (cleanup: () => void) => (closed ? cleanup() : void cleanups.push(cleanup));
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        deps.onOpen?.();
        const write = (text: string) => {
          if (closed) return;
          const backlog = STREAM_HIGH_WATER_MARK - (controller.desiredSize ?? 0);
          if (backlog > STREAM_HIGH_WATER_MARK + MAX_BACKLOG_BYTES || (deps.slot && !deps.slot.report(backlog))) {
            deps.log.warn("cut off an event stream client that stopped reading; it will resume from its last event id");
            close();
            controller.error(new Error("client too slow"));
            return;
          }
          controller.enqueue(encoder.encode(text));
        };
        write(`retry: ${RETRY_MS}\n${sseComment("taskflow events")}`);

        const resume = resumePoint(deps, lastEventId);
        if (resume.reset) write(sseEvent("reset", { reason: resume.reset }));
        // The feed replays kept batches synchronously inside subscribe(); they are held
        // back until we know whether the client's last batch was still kept (with the
        // task rows its events carry), and a replay too big to queue is replaced by a
        // reset (the client reloads instead).
        let replayed: string[] | null = [];
        let replayedBytes = 0;
        let firstSeq: number | null = null;
        let replayLacksRows = false;
        const onBatch = (batch: FeedBatch) => {
          firstSeq ??= batch.seq;
          if (replayed && !batch.rowsLoaded) replayLacksRows = true;
          const skipUpTo = resume.seq === batch.seq ? resume.index : -1;
          for (const [index, text] of batchEvents(deps.epoch, batch)) {
            if (index <= skipUpTo) continue;
            if (!replayed) write(text);
            else if ((replayedBytes += text.length) <= MAX_REPLAY_BYTES) replayed.push(text);
          }
        };
        track(deps.feed.subscribe(onBatch, { afterSeq: resume.afterSeq, rows: true }));
        if (resume.seq !== undefined && ((firstSeq ?? Infinity) > resume.seq || replayedBytes > MAX_REPLAY_BYTES || replayLacksRows)) {
          write(sseEvent("reset", { reason: "the events since Last-Event-ID are no longer kept; reload the state" }));
          replayed = [];
        }
        for (const text of replayed) write(text);
        replayed = null;

        track(deps.ticker.subscribe((m) => write(sseEvent("metrics", m))));
        void deps.metricsNow().then((m) => write(sseEvent("metrics", m)), () => {});
        const keepAlive = setInterval(() => write(sseComment("keep-alive")), deps.keepAliveMs ?? KEEP_ALIVE_MS);
        track(() => clearInterval(keepAlive));
      },
      cancel: close,
    },
    { highWaterMark: STREAM_HIGH_WATER_MARK, size: (chunk) => chunk?.byteLength ?? 0 },
  );
}

interface ResumePoint {
  /** Replay feed batches after this seq. */
  afterSeq?: number;
  /** The batch and index of the last event the client got. */
  seq?: number;
  index: number;
  /** Why the client cannot resume, if it asked to. */
  reset?: string;
}

function resumePoint(deps: EventStreamDeps, lastEventId: string | null): ResumePoint {
  if (!lastEventId) return { index: -1 };
  const id = parseEventId(lastEventId);
  if (!id || id.epoch !== deps.epoch || id.seq > deps.feed.lastSeq) {
    return { index: -1, reset: "Last-Event-ID is from another scheduler process or an earlier run; reload the state" };
  }
  return { afterSeq: id.seq - 1, seq: id.seq, index: id.index };
}

/** A batch's events with their index in the batch: task transitions in order, then worker changes. */
function batchEvents(epoch: string, batch: FeedBatch): [number, string][] {
  const out: [number, string][] = [];
  let index = 0;
  for (const change of batch.taskChanges) {
    const id = formatEventId({ epoch, seq: batch.seq, index });
    out.push([index++, sseEvent("task", taskEventJson(change, batch.tasks.get(change.id)), id)]);
  }
  for (const change of batch.workerChanges) {
    const id = formatEventId({ epoch, seq: batch.seq, index });
    out.push([index++, sseEvent("worker", workerEventJson(change, batch.workers.get(change.id)), id)]);
  }
  return out;
}
