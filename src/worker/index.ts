/** The worker role: runs dispatched tasks and reports them over gRPC; it never touches the database. */
import type { Config } from "../config/config.ts";
import type { Service } from "../core/lifecycle.ts";
import { roleLogger } from "../log/logger.ts";
import type { MetricsServer } from "../metrics/metrics-server.ts";
import type { InProcessLink } from "../proto/in-process-link.ts";
import { createWorkerMetrics } from "./worker-metrics.ts";
import { WorkerService } from "./worker-service.ts";

/** `metricsServer`: the process's --metrics server, if any; the worker adds its metrics to it. */
/** `link`: this process's coordinator, when the worker dials it in memory (proto/in-process-link.ts). */
export function workerServices(config: Config, metricsServer: MetricsServer | null = null, link: InProcessLink | null = null): Service[] {
  let worker: WorkerService | null = null;
  const metrics = metricsServer
    ? createWorkerMetrics({ running: () => worker?.runningCount ?? 0, capacity: () => config.concurrency, connected: () => worker?.connected ?? false })
    : null;
  if (metrics) metricsServer!.add(metrics.registry);
  worker = new WorkerService({ config, log: roleLogger("worker"), metrics, link });
  return [worker];
}
