/** GET /api/events (SPEC §3): Server-Sent Events of task transitions, worker changes and metrics. */
import { Elysia, t } from "elysia";
import type { Logger } from "../../log/logger.ts";
import type { ChangeFeed } from "../change-feed.ts";
import type { SchedulerMetrics } from "../metrics/scheduler-metrics.ts";
import { openEventStream } from "./event-stream.ts";
import { MetricsTicker } from "./metrics-ticker.ts";
import { sseBusyResponse, type SseBudget } from "../sse-budget.ts";

export interface EventRoutesDeps {
  feed: ChangeFeed;
  metrics: SchedulerMetrics;
  log: Logger;
  /** The process's SSE budget (open streams, total backlog). */
  sseBudget?: SseBudget;
}

const DESCRIPTION = [
  "A Server-Sent Events stream. Each event's data is one line of JSON:",
  "`task` on every task transition ({id, status, attempt, task}),",
  "`worker` on every worker status change ({id, name, status, worker}),",
  "`metrics` every 5 seconds (the body of GET /api/metrics),",
  "`reset` when the events since Last-Event-ID cannot be replayed (reload the state).",
  "Task and worker events carry ids; reconnect with Last-Event-ID to resume.",
].join(" ");

export function eventRoutes(deps: EventRoutesDeps) {
  // Random per process: ids from another process (or an earlier run) are recognised as such.
  const epoch = Math.floor(Math.random() * 36 ** 6).toString(36);
  const ticker = new MetricsTicker(() => deps.metrics.json(), deps.log);
  const clients = deps.metrics.instruments.eventClients;
  return new Elysia({ name: "events" }).get(
    "/api/events",
    ({ headers }) => {
      const slot = deps.sseBudget?.acquire() ?? undefined;
      if (deps.sseBudget && !slot) return sseBusyResponse(deps.sseBudget);
      return new Response(
        openEventStream(
          {
            slot,
            feed: deps.feed,
            ticker,
            metricsNow: () => deps.metrics.json(),
            epoch,
            log: deps.log,
            onOpen: () => clients.inc(),
            onClose: () => clients.dec(),
          },
          headers["last-event-id"] ?? null,
        ),
        {
          headers: {
            "content-type": "text/event-stream; charset=utf-8",
            "cache-control": "no-cache, no-transform",
            // nginx would otherwise buffer the stream.
            "x-accel-buffering": "no",
          },
        },
      );
    },
    {
      headers: t.Object({ "last-event-id": t.Optional(t.String({ description: "the id of the last event received, to resume after it" })) }),
      detail: {
        summary: "Live events: task transitions, worker changes and metrics (SSE)",
        description: DESCRIPTION,
        tags: ["observability"],
        responses: { 200: { description: "text/event-stream", content: { "text/event-stream": { schema: { type: "string" } } } } },
      },
    },
  );
}
