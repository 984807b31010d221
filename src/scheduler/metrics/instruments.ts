/**
 * Every Prometheus metric the scheduler exposes, defined once, in its own
 * registry (never prom-client's global one, so tests can build many apps).
 * Names follow Prometheus conventions: `taskflow_` prefix, `_total` counters,
 * base units (`_seconds`, `_bytes`), labels for dimensions with few values.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { VERSION } from "../../core/version.ts";

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
  const started = Date.now() / 1000;
  const instruments = {
    registry,
    submitted: counter("taskflow_tasks_submitted_total", "Tasks submitted (created), by queue."),
    completed: counter("taskflow_tasks_completed_total", "Tasks completed, by queue."),
    failed: counter("taskflow_tasks_failed_total", "Tasks failed for good (retries used up), by queue."),
    retried: counter("taskflow_tasks_retried_total", "Tasks rescheduled after a failed attempt or by a user, by queue."),
    cancelled: counter("taskflow_tasks_cancelled_total", "Tasks cancelled, by queue."),
    tasks: gauge("taskflow_tasks", "Tasks waiting or live, by queue and status (created, scheduled, picked, running).", ["queue", "status"]),
    runningAttempts: gauge("taskflow_running_attempts", "Attempts whose process is running on a worker, by queue.", ["queue"]),
    queueLag: gauge("taskflow_queue_lag_seconds", "Age of the oldest due task waiting for a worker, by queue (0 when none is due).", ["queue"]),
    queuePaused: gauge("taskflow_queue_paused", "1 for each paused queue (its tasks are not claimed).", ["queue"]),
    workers: gauge("taskflow_workers", "Worker sessions by status (alive, draining, dead).", ["status"]),
    connectedWorkers: gauge("taskflow_grpc_connected_workers", "Live worker sessions by the coordinator holding their gRPC stream.", ["coordinator"]),
    databaseUp: gauge("taskflow_database_up", "1 when this scrape could read the database, else 0 (and database gauges are left out)."),
    attemptDuration: new Histogram({
      name: "taskflow_attempt_duration_seconds",
      help: "Run time of finished attempts (start to end of the process), by queue and outcome.",
      labelNames: ["queue", "outcome"],
      buckets: RUN_BUCKETS,
      registers,
    }),
    dispatchLag: new Histogram({
      name: "taskflow_dispatch_lag_seconds",
      help: "Time from a task's run_at to its attempt's start on a worker (started_at - run_at), by queue.",
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
  };
  // Process facts, read at scrape time.
  new Gauge({ name: "taskflow_build_info", help: "taskflow's version; always 1.", labelNames: ["version"], registers, collect() { this.set({ version: VERSION }, 1); } });
  new Gauge({ name: "process_start_time_seconds", help: "Start time of the process since the Unix epoch, in seconds.", registers, collect() { this.set(started); } });
  new Gauge({ name: "process_resident_memory_bytes", help: "Resident memory size in bytes.", registers, collect() { this.set(process.memoryUsage.rss()); } });
  new Gauge({ name: "taskflow_heap_used_bytes", help: "JavaScript heap in use, in bytes.", registers, collect() { this.set(process.memoryUsage().heapUsed); } });
  new Counter({
    name: "process_cpu_seconds_total",
    help: "User and system CPU time spent, in seconds.",
    registers,
    collect() {
      const u = process.cpuUsage();
      this.reset();
      this.inc((u.user + u.system) / 1e6);
    },
  });
  return instruments;
}
