/** GET /metrics (Prometheus text format) and GET /api/metrics (the same facts as JSON). */
import { Elysia } from "elysia";
import { jsonAnswer } from "../openapi/route-docs.ts";
import { MetricsJsonSchema } from "./metrics-json.ts";
import type { SchedulerMetrics } from "./scheduler-metrics.ts";

export function metricsRoutes(metrics: SchedulerMetrics) {
  return new Elysia({ name: "metrics" })
    .get(
      "/metrics",
      async () =>
        new Response(await metrics.prometheus(), {
          headers: { "content-type": metrics.contentType, "cache-control": "no-store" },
        }),
      {
        detail: {
          summary: "Prometheus metrics (text exposition format 0.0.4): task counters, gauges, histograms, HTTP and process metrics",
          tags: ["observability"],
          responses: { 200: { description: "Prometheus text format", content: { "text/plain": { schema: { type: "string" } } } } },
        },
      },
    )
    .get("/api/metrics", () => metrics.json(), {
      // Documented, not a route `response` schema: that would check every answer, strip fields and turn a miss into an error.
      detail: {
        summary: "Counts by status and queue, workers, throughput, queue lag and timings, as JSON",
        tags: ["observability"],
        responses: { 200: jsonAnswer("the metrics; database facts are zeros while database_up is false", MetricsJsonSchema) },
      },
    });
}
