/** GET /api/events (SPEC §3): Server-Sent Events of task transitions, worker changes and metrics. */
import { Elysia, t } from "elysia";
import type { Logger } from "../../log/logger.ts";
import type { ChangeFeed } from "../live/change-feed.ts";
import type { SchedulerMetrics } from "../metrics/scheduler-metrics.ts";
import { eventStreamResponse } from "./event-stream.ts";
import { MetricsTicker } from "./metrics-ticker.ts";
import type { SseBudget } from "../sse-budget.ts";

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
  const ticker = new MetricsTicker(() => deps.metrics.json(), deps.log);
  const clients = deps.metrics.instruments.eventClients;
  return new Elysia({ name: "events" }).get(
    "/api/events",
    ({ headers, request }) =>
      eventStreamResponse(
        {
          feed: deps.feed,
          ticker,
          metricsNow: () => deps.metrics.json(),
          log: deps.log,
          onOpen: () => clients.inc(),
          onClose: () => clients.dec(),
          budget: deps.sseBudget,
        },
        headers["last-event-id"] ?? null,
        request.signal,
      ),
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
