/**
 * For checking the operations kit (alert rules, Grafana dashboard) against the code:
 * the metric names taskflow exports, read from the roles' own registries, and the
 * metric names a PromQL expression reads.
 */
import { createCoordinatorMetrics } from "../../src/coordinator/coordinator-metrics.ts";
import { SessionRegistry } from "../../src/coordinator/session/session-registry.ts";
import { registerProcessMetrics } from "../../src/metrics/process-metrics.ts";
import { createInstruments } from "../../src/scheduler/metrics/instruments.ts";
import { createWorkerMetrics } from "../../src/worker/worker-metrics.ts";
import { Registry } from "prom-client";

/** Every series name any role exports (histograms with their _bucket, _sum and _count). */
export function exportedMetricNames(): Set<string> {
  const processRegistry = new Registry();
  registerProcessMetrics(processRegistry);
  const registries = [
    createInstruments().registry,
    createCoordinatorMetrics(new SessionRegistry()).registry,
    createWorkerMetrics({ running: () => 0, capacity: () => 1, connected: () => true }).registry,
    processRegistry,
  ];
  const names = new Set<string>();
  for (const r of registries) {
    for (const m of r.getMetricsAsArray()) {
      const { name, type } = m as unknown as { name: string; type: string };
      names.add(name);
      if (type === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) names.add(name + suffix);
    }
  }
  return names;
}

const KEYWORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset", "inf", "nan"]);

/**
 * The metric names `expr` reads: identifiers left once strings, label matchers,
 * ranges, grouping lists, functions and keywords are taken out.
 * @example metricNamesIn('max by (queue) (rate(taskflow_tasks_failed_total{queue="a"}[5m]))') // ["taskflow_tasks_failed_total"]
 */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  const names = new Set<string>();
  // Not inside a number or a duration (5m, 1e3): the lookbehind keeps their letters out.
  for (const m of stripped.matchAll(/(?<![a-zA-Z0-9_:.$])[a-zA-Z_:][a-zA-Z0-9_:]*(?=\s*(\()?)/g)) {
    const id = m[0];
    if (m[1] || KEYWORDS.has(id.toLowerCase())) continue;
    names.add(id);
  }
  return [...names];
}
