/**
 * Every Prometheus metric the scheduler exposes, defined once, in its own
 * registry (never prom-client's global one, so tests can build many apps).
 * Names follow Prometheus conventions: `taskflow_` prefix, `_total` counters,
 * base units (`_seconds`, `_bytes`), labels for dimensions with few values.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { registerProcessMetrics } from "../../metrics/process-metrics.ts";

/** Attempt run times: from a blink to an hour. */
const RUN_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
/** Dispatch lag (started_at − run_at): milliseconds when healthy, minutes when workers are short. */
const LAG_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];
/** HTTP handling time, to the first byte of the answer. */
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export type Instruments = ReturnType<typeof createInstruments>;

export function createInstruments() {
  const registry = new Registry();
  const registers = [registry];
  const counter = (name: string, help: string, labelNames: string[] = ["queue"]) => new Counter({ name, help, labelNames, registers });
  const gauge = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers });
  const instruments = {
    registry,
    submitted: counter("taskflow_tasks_submitted_total", "Cluster-wide: tasks submitted (created), by queue, as this scheduler heard of them (every scheduler counts the same: aggregate with max)."),
    completed: counter("taskflow_tasks_completed_total", "Cluster-wide: tasks completed, by queue (every scheduler counts the same: aggregate with max)."),
    failed: counter("taskflow_tasks_failed_total", "Cluster-wide: tasks failed for good (retries used up), by queue (every scheduler counts the same: aggregate with max)."),
    retried: counter("taskflow_tasks_retried_total", "Cluster-wide: tasks rescheduled after a failed attempt or by a user, by queue (every scheduler counts the same: aggregate with max)."),
    cancelled: counter("taskflow_tasks_cancelled_total", "Cluster-wide: tasks cancelled, by queue (every scheduler counts the same: aggregate with max)."),
    tasks: gauge("taskflow_tasks", "Cluster-wide: tasks waiting or live, by queue and status (created, scheduled, picked, running).", ["queue", "status"]),
    runningAttempts: gauge("taskflow_running_attempts", "Cluster-wide: attempts whose process is running on a worker, by queue.", ["queue"]),
    queueLag: gauge("taskflow_queue_lag_seconds", "Cluster-wide: age of the oldest due task waiting for a worker, by queue (0 when none is due).", ["queue"]),
    queuePaused: gauge("taskflow_queue_paused", "Cluster-wide: 1 for each paused queue (its tasks are not claimed).", ["queue"]),
    workers: gauge("taskflow_workers", "Cluster-wide: worker sessions by status (alive, draining, dead).", ["status"]),
    queueWorkers: gauge(
      "taskflow_queue_workers",
      "Cluster-wide: alive workers serving each queue; 0 for a queue with waiting or live tasks and no such worker.",
      ["queue"],
    ),
    connectedWorkers: gauge("taskflow_grpc_connected_workers", "Cluster-wide: live worker sessions by the coordinator holding their gRPC stream.", ["coordinator"]),
    databaseUp: gauge("taskflow_database_up", "1 when this scrape could read the database, else 0 (and database gauges are left out)."),
    attemptDuration: new Histogram({
      name: "taskflow_attempt_duration_seconds",
      help: "Cluster-wide: run time of finished attempts (start to end of the process), by queue and outcome (every scheduler observes the same).",
      labelNames: ["queue", "outcome"],
      buckets: RUN_BUCKETS,
      registers,
    }),
    dispatchLag: new Histogram({
      name: "taskflow_dispatch_lag_seconds",
      help: "Cluster-wide: time from a task's run_at to its attempt's start on a worker (started_at - run_at), by queue (every scheduler observes the same).",
      labelNames: ["queue"],
      buckets: LAG_BUCKETS,
      registers,
    }),
    httpRequests: new Counter({
      name: "taskflow_http_requests_total",
      help: "HTTP requests answered, by method, route template and status.",
      labelNames: ["method", "route", "status"],
      registers,
    }),
    httpDuration: new Histogram({
      name: "taskflow_http_request_duration_seconds",
      help: "Time to answer HTTP requests (to the start of the response), by method, route template and status.",
      labelNames: ["method", "route", "status"],
      buckets: HTTP_BUCKETS,
      registers,
    }),
    eventClients: gauge("taskflow_event_stream_clients", "Open /api/events streams."),
    // Retention: read from the database (prune_totals and the tasks' index), the same from every scheduler.
    pruned: new Counter({ name: "taskflow_pruned_total", help: "Rows removed by retention pruning since the database was made, by table.", labelNames: ["table"], registers }),
    oldestFinished: gauge("taskflow_oldest_finished_task_age_seconds", "Age of the oldest finished task still kept, by status (absent when none).", ["status"]),
    databaseSize: gauge("taskflow_database_size_bytes", "Size of the database on disk (pg_database_size)."),
    retention: gauge("taskflow_retention_seconds", "Retention policy of this process, by target (completed, failed, cancelled, workers); absent when kept forever.", ["target"]),
  };
  registerProcessMetrics(registry);
  return instruments;
}
