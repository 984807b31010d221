/**
 * One client's GET /api/events stream: the change feed's transitions as `task` and
 * `worker` events (resuming after Last-Event-ID), `metrics` every few seconds from
 * the shared ticker, on the shared SSE writer (live/sse-writer.ts: framing,
 * keep-alive, the slow-client cut-off). It never LISTENs itself: the process's
 * single change feed does, for every client at once.
 *
 * Event ids are feed positions `EPOCH-SEQ-INDEX` (live/follow-feed.ts): a batch's
 * events carry its seq and their index in it, so a client that reconnects gets the
 * rest of a half-sent batch, and one that reconnects to another process (or after
 * a restart) gets `reset` instead of silently missing events.
 */
import type { Logger } from "../../log/logger.ts";
import type { ChangeFeed, FeedBatch } from "../live/change-feed.ts";
import { followFeed, formatPosition, type ResyncReason } from "../live/follow-feed.ts";
import { sseResponse } from "../live/sse-writer.ts";
import type { MetricsJson } from "../metrics/metrics-json.ts";
import { taskEventJson, workerEventJson } from "./event-json.ts";
import type { MetricsTicker } from "./metrics-ticker.ts";
import type { SseBudget } from "../sse-budget.ts";

/** A resume that would replay more than this sends `reset` instead, so it can never trip the writer's cut-off. */
export const MAX_REPLAY_BYTES = 1024 * 1024;

const RESET_REASONS: Record<Exclude<ResyncReason, "fresh">, string> = {
  unknown: "Last-Event-ID is from another scheduler process or an earlier run; reload the state",
  gap: "the events since Last-Event-ID are no longer kept; reload the state",
};

export interface EventStreamDeps {
  feed: ChangeFeed;
  ticker: MetricsTicker;
  /** First `metrics` event, sent at connect. */
  metricsNow: () => Promise<MetricsJson>;
  log: Logger;
  onOpen?: () => void;
  onClose?: () => void;
  /** The process's SSE budget (open streams, total backlog): 503 past its cap; it may cut the client off. */
  budget?: SseBudget;
  keepAliveMs?: number;
}

/** The SSE response for one client; `lastEventId` is its Last-Event-ID header, if any. */
export function eventStreamResponse(deps: EventStreamDeps, lastEventId: string | null, signal?: AbortSignal): Response {
  return sseResponse(
    (sink) => {
      deps.onOpen?.();
      const offs = [
        followFeed(
          deps.feed,
          lastEventId,
          {
            resync: (reason) => {
              if (reason !== "fresh") sink.sendJson("reset", { reason: RESET_REASONS[reason] });
            },
            batch: (batch, skip) => {
              for (const e of batchEvents(deps.feed.epoch, batch)) if (e.index >= skip) sink.send(e.event, e.data, e.id);
            },
          },
          { rows: true, acceptReplay: (batches) => replayBytes(deps.feed.epoch, batches) <= MAX_REPLAY_BYTES },
        ),
        deps.ticker.subscribe((m) => sink.sendJson("metrics", m)),
      ];
      void deps.metricsNow().then((m) => sink.sendJson("metrics", m), () => {});
      return () => {
        for (const off of offs) off();
        deps.onClose?.();
      };
    },
    { signal, keepAliveMs: deps.keepAliveMs, log: deps.log, budget: deps.budget },
  );
}

interface RenderedEvent {
  index: number;
  event: string;
  data: string;
  id: string;
}

/** Each batch's events, rendered once for every client (and for the replay's size check). */
const rendered = new WeakMap<FeedBatch, RenderedEvent[]>();

/** A batch's events with their index in the batch: task transitions in order, then worker changes. */
function batchEvents(epoch: string, batch: FeedBatch): RenderedEvent[] {
  const cached = rendered.get(batch);
  if (cached) return cached;
  const out: RenderedEvent[] = [];
  const add = (event: string, json: unknown) => {
    const index = out.length;
    out.push({ index, event, data: JSON.stringify(json), id: formatPosition(epoch, batch.seq, index) });
  };
  for (const change of batch.taskChanges) add("task", taskEventJson(change, batch.tasks.get(change.id), batch.failures.get(change.id) ?? null));
  for (const change of batch.workerChanges) add("worker", workerEventJson(change, batch.workers.get(change.id)));
  rendered.set(batch, out);
  return out;
}

function replayBytes(epoch: string, batches: FeedBatch[]): number {
  let n = 0;
  for (const b of batches) for (const e of batchEvents(epoch, b)) n += e.data.length;
  return n;
}
