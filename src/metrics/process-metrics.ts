/**
 * Process metrics every role exports: CPU, memory, event-loop lag, start time and
 * version. Written by hand: prom-client's default collectors run under Bun, but their
 * heap figures count Bun's external memory as heap (more than the resident size) and
 * their per-space and GC metrics stay at zero or are missing, so they would mislead.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Counter, Gauge, type Registry } from "prom-client";
import { VERSION } from "../core/version.ts";
import { processMemory } from "./process-memory.ts";

/** Adds the process metrics to `registry`. */
export function registerProcessMetrics(registry: Registry): void {
  const registers = [registry];
  const started = Date.now() / 1000;
  new Gauge({ name: "taskflow_build_info", help: "taskflow's version; always 1.", labelNames: ["version"], registers, collect() { this.set({ version: VERSION }, 1); } });
  new Gauge({ name: "process_start_time_seconds", help: "Start time of the process since the Unix epoch, in seconds.", registers, collect() { this.set(started); } });
  new Gauge({ name: "process_resident_memory_bytes", help: "Resident memory size in bytes.", registers, collect() { this.set(process.memoryUsage.rss()); } });
  new Gauge({ name: "taskflow_heap_used_bytes", help: "Live JavaScript objects, in bytes (external memory not included).", registers, collect() { this.set(processMemory().heapUsedBytes); } });
  new Gauge({ name: "taskflow_external_memory_bytes", help: "ArrayBuffers and WebAssembly memories (embedded PostgreSQL), as allocated; not all resident.", registers, collect() { this.set(processMemory().externalBytes); } });
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
  // Sampled every 20 ms; each scrape reports the delays since the previous one.
  const delay = monitorEventLoopDelay({ resolution: 20 });
  delay.enable();
  new Gauge({
    name: "taskflow_event_loop_lag_seconds",
    help: "Event-loop delay since the previous scrape: how late timers and I/O callbacks ran, by quantile (0.5, 0.99, 1 = max).",
    labelNames: ["quantile"],
    registers,
    collect() {
      const count = delay.count;
      for (const q of [0.5, 0.99]) this.set({ quantile: String(q) }, count ? delay.percentile(q * 100) / 1e9 : 0);
      this.set({ quantile: "1" }, count ? delay.max / 1e9 : 0);
      delay.reset();
    },
  });
}
