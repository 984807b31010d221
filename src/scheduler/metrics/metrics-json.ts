/**
 * GET /api/metrics (and the `metrics` event): the facts of /metrics as JSON, for
 * the dashboard and curl. The schema documents the answer in /openapi.json.
 */
import { t, type Static } from "elysia";
import type { MetricObjectWithValues, MetricValue, MetricValueWithName } from "prom-client";
import { FINISHED_COUNT_CAP, type FinishedCounts } from "../../db/queries/finished-counts.ts";
import type { MetricsSnapshot } from "./scheduler-metrics.ts";
import type { Instruments } from "./instruments.ts";
import { processMemory } from "../../metrics/process-memory.ts";
import { RetentionJsonSchema } from "./retention-json.ts";
import { BUCKET_MS, type Throughput } from "./throughput.ts";

const count = t.Number({ minimum: 0 });
const counts = (keys: string[], description?: string) => t.Object(Object.fromEntries(keys.map((k) => [k, count])), { description });
const Histogram = t.Object({
  count,
  sum: t.Number({ description: "seconds" }),
  buckets: t.Array(t.Object({ le: t.Union([t.Number(), t.Literal("+Inf")]), count }), { description: "cumulative counts" }),
});
const OUTCOMES = ["submitted", "completed", "failed", "retried", "cancelled"];

export const MetricsJsonSchema = t.Object({
  generated_at: t.String({ format: "date-time" }),
  database_up: t.Boolean({ description: "false when the database could not be read: database facts are then zeros" }),
  tasks: t.Object({
    by_status: counts(["created", "scheduled", "picked", "running", "completed", "failed", "cancelled"]),
    finished_counts_capped_at: t.Number({ description: "completed, failed and cancelled are counted up to this many each, refreshed every 15 s" }),
    counted_at: t.Object(
      {
        live: t.Union([t.String({ format: "date-time" }), t.Null()], { description: "when created, scheduled, picked and running (and by_queue) were counted; at most 1 s before generated_at" }),
        finished: t.Union([t.String({ format: "date-time" }), t.Null()], { description: "when completed, failed and cancelled were counted; up to 15 s before generated_at" }),
      },
      { description: "the two groups of by_status are read at different times; null when the database could not be read" },
    ),
    by_queue: t.Array(
      t.Object({
        queue: t.String(),
        created: count,
        scheduled: count,
        picked: count,
        running: count,
        due: t.Integer({ minimum: 0, description: "scheduled tasks due now (run_at passed)" }),
        future: t.Integer({ minimum: 0, description: "scheduled tasks whose run_at is still ahead" }),
        lag_seconds: count,
      }),
      { description: "queues with waiting or live tasks" },
    ),
  }),
  running_attempts: count,
  scheduled_due: t.Integer({ minimum: 0, description: "scheduled tasks due now, every queue" }),
  scheduled_future: t.Integer({ minimum: 0, description: "scheduled tasks whose run_at is still ahead, every queue" }),
  queue_lag_seconds: t.Number({ description: "the largest lag of any queue: age of the oldest due task" }),
  paused_queues: t.Array(t.String(), { description: "queues paused by POST /api/queues/:name/pause" }),
  workers: t.Object({
    alive: count,
    draining: count,
    dead: count,
    connected_by_coordinator: t.Record(t.String(), count, { description: "live sessions by coordinator address" }),
  }),
  totals: t.Object({
    since: t.String({ format: "date-time", description: "counted from the change feed since this scheduler started" }),
    ...Object.fromEntries(OUTCOMES.map((k) => [k, count])),
    by_queue: t.Array(t.Object({ queue: t.String(), ...Object.fromEntries(OUTCOMES.map((k) => [k, count])) })),
  }),
  throughput: t.Object({
    per_minute: counts(["submitted", "completed", "failed"], "over the last minute"),
    bucket_seconds: t.Number(),
    series: t.Array(t.Object({ at: t.String({ format: "date-time" }), submitted: count, completed: count, failed: count }), {
      description: "the last 10 minutes, oldest first",
    }),
  }),
  attempt_duration_seconds: Histogram,
  dispatch_lag_seconds: Histogram,
  http_requests: t.Object({ total: count, by_status: t.Record(t.String(), count) }),
  event_stream_clients: count,
  process: t.Object({
    started_at: t.String({ format: "date-time" }),
    resident_memory_bytes: t.Number({ minimum: 0, description: "what the process holds in RAM (RSS)" }),
    heap_used_bytes: t.Number({ minimum: 0, description: "live JavaScript objects; part of the resident memory" }),
    heap_total_bytes: t.Number({ minimum: 0, description: "memory the JavaScript heap has taken from the system" }),
    external_bytes: t.Number({ minimum: 0, description: "ArrayBuffers and WebAssembly memories (embedded PostgreSQL) as allocated; much of it may never be resident" }),
  }),
  retention: RetentionJsonSchema,
}, { $id: "Metrics" });
export type MetricsJson = Static<typeof MetricsJsonSchema>;

/** A database read and when it was made. */
export interface Dated<T> {
  value: T;
  at: Date;
}

const STARTED_AT = new Date(Date.now() - process.uptime() * 1000);

/** Builds the answer; `since` is when the counters started counting. */
export async function metricsJson(
  live: Dated<MetricsSnapshot> | null,
  finishedRead: Dated<FinishedCounts> | null,
  m: Instruments,
  throughput: Throughput,
  since: Date,
): Promise<Omit<MetricsJson, "retention">> {
  const s = live?.value ?? null;
  const finished = finishedRead?.value ?? null;
  const queues = s?.queues ?? [];
  const sumOf = (k: "created" | "scheduled" | "picked" | "running") => queues.reduce((a, q) => a + q.counts[k], 0);
  const outcomes = await Promise.all([m.submitted, m.completed, m.failed, m.retried, m.cancelled].map((c) => c.get()));
  const byQueue = new Map<string, Record<string, number>>();
  outcomes.forEach((metric, i) => {
    for (const v of metric.values) {
      const queue = String(v.labels.queue);
      const row = byQueue.get(queue) ?? Object.fromEntries(OUTCOMES.map((k) => [k, 0]));
      row[OUTCOMES[i]!] = v.value;
      byQueue.set(queue, row);
    }
  });
  const http = await m.httpRequests.get();
  const byStatus: Record<string, number> = {};
  for (const v of http.values) byStatus[String(v.labels.status)] = (byStatus[String(v.labels.status)] ?? 0) + v.value;
  const series = throughput.series();
  return {
    generated_at: new Date().toISOString(),
    database_up: s !== null,
    tasks: {
      by_status: { created: sumOf("created"), scheduled: sumOf("scheduled"), picked: sumOf("picked"), running: sumOf("running"), ...(finished ?? { completed: 0, failed: 0, cancelled: 0 }) },
      finished_counts_capped_at: FINISHED_COUNT_CAP,
      counted_at: { live: live?.at.toISOString() ?? null, finished: finishedRead?.at.toISOString() ?? null },
      by_queue: queues.map((q) => ({ queue: q.queue, ...q.counts, due: q.due, future: q.counts.scheduled - q.due, lag_seconds: q.lagSeconds })),
    },
    running_attempts: sumOf("running"),
    scheduled_due: queues.reduce((n, q) => n + q.due, 0),
    scheduled_future: queues.reduce((n, q) => n + q.counts.scheduled - q.due, 0),
    queue_lag_seconds: Math.max(0, ...queues.map((q) => q.lagSeconds)),
    paused_queues: s?.paused ?? [],
    workers: { ...(s?.workers ?? { alive: 0, draining: 0, dead: 0 }), connected_by_coordinator: s?.connectedByCoordinator ?? {} },
    totals: {
      since: since.toISOString(),
      ...Object.fromEntries(OUTCOMES.map((k, i) => [k, outcomes[i]!.values.reduce((a, v) => a + v.value, 0)])),
      by_queue: [...byQueue].sort(([a], [b]) => (a < b ? -1 : 1)).map(([queue, row]) => ({ queue, ...row })),
    } as MetricsJson["totals"],
    throughput: {
      per_minute: throughput.perMinute(),
      bucket_seconds: BUCKET_MS / 1000,
      series: series.map((b) => ({ at: b.at.toISOString(), submitted: b.submitted, completed: b.completed, failed: b.failed })),
    },
    attempt_duration_seconds: histogramJson(await m.attemptDuration.get()),
    dispatch_lag_seconds: histogramJson(await m.dispatchLag.get()),
    http_requests: { total: Object.values(byStatus).reduce((a, n) => a + n, 0), by_status: byStatus },
    event_stream_clients: (await m.eventClients.get()).values[0]?.value ?? 0,
    process: processJson(),
  };
}

function processJson(): MetricsJson["process"] {
  const m = processMemory();
  return {
    started_at: STARTED_AT.toISOString(),
    resident_memory_bytes: m.residentBytes,
    heap_used_bytes: m.heapUsedBytes,
    heap_total_bytes: m.heapTotalBytes,
    external_bytes: m.externalBytes,
  };
}

/** A histogram summed over its labels: count, sum and cumulative buckets. */
function histogramJson(metric: MetricObjectWithValues<MetricValue<string> | MetricValueWithName<string>>): Static<typeof Histogram> {
  let total = 0;
  let sum = 0;
  const buckets = new Map<string, number>();
  for (const v of metric.values as MetricValueWithName<string>[]) {
    if (v.metricName?.endsWith("_count")) total += v.value;
    else if (v.metricName?.endsWith("_sum")) sum += v.value;
    else if (v.metricName?.endsWith("_bucket")) buckets.set(String(v.labels.le), (buckets.get(String(v.labels.le)) ?? 0) + v.value);
  }
  return {
    count: total,
    sum,
    buckets: [...buckets].map(([le, n]) => ({ le: le === "+Inf" ? ("+Inf" as const) : Number(le), count: n })),
  };
}
