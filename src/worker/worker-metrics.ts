/**
 * What this worker did, for its /metrics (`--metrics`): tasks run by outcome, their run
 * and spawn times, output bytes, slots in use, reconnects. Each worker counts only its
 * own work, so `sum(...)` over all workers is the fleet's figure.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { ProcessResult } from "./process-runner.ts";

/** Attempt run times: from a blink to an hour. */
const RUN_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
/** Dispatch received to process started: a fork and exec, normally milliseconds. */
const SPAWN_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

export interface WorkerState {
  running(): number;
  capacity(): number;
  connected(): boolean;
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;

export function createWorkerMetrics(state: WorkerState) {
  const registry = new Registry();
  const registers = [registry];
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({ name, help, registers, collect() { this.set(read()); } });
  gauge("taskflow_worker_running", "Task processes running on this worker now.", () => state.running());
  gauge("taskflow_worker_slots", "Tasks this worker runs at once (--concurrency).", () => state.capacity());
  gauge("taskflow_worker_connected", "1 while this worker has a welcomed stream to a coordinator, else 0.", () => (state.connected() ? 1 : 0));
  const tasks = new Counter({
    name: "taskflow_worker_tasks_total",
    help: "Attempts this worker ran to the end, by outcome (completed, failed, timeout, cancelled, spawn_error, lost).",
    labelNames: ["outcome"],
    registers,
  });
  const runTime = new Histogram({ name: "taskflow_worker_run_seconds", help: "Run time of this worker's attempts, by outcome.", labelNames: ["outcome"], buckets: RUN_BUCKETS, registers });
  const outputBytes = new Counter({ name: "taskflow_worker_output_bytes_total", help: "Bytes task processes wrote to stdout and stderr on this worker.", registers });
  const spawnTime = new Histogram({ name: "taskflow_worker_spawn_seconds", help: "From a dispatch's arrival to its process running.", buckets: SPAWN_BUCKETS, registers });
  const reconnects = new Counter({ name: "taskflow_worker_reconnects_total", help: "Times this worker was welcomed again after its stream to a coordinator dropped.", registers });
  return {
    registry,
    /** An attempt's process ended. */
    finished(result: ProcessResult): void {
      const outcome = outcomeOf(result);
      tasks.inc({ outcome });
      runTime.observe({ outcome }, Math.max(0, result.finishedAt - result.startedAt) / 1000);
      outputBytes.inc(result.outputBytes ?? 0);
    },
    spawned(seconds: number): void {
      spawnTime.observe(Math.max(0, seconds));
    },
    reconnected(): void {
      reconnects.inc();
    },
  };
}

function outcomeOf(r: ProcessResult): string {
  if (r.reason === "exited") return r.exitCode === 0 && !r.error ? "completed" : "failed";
  return r.reason;
}
