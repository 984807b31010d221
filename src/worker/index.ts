/** The worker role: runs dispatched tasks and reports them over gRPC; it never touches the database. */
import type { Config } from "../config/config.ts";
import type { Service } from "../core/lifecycle.ts";
import { roleLogger } from "../log/logger.ts";
import type { MetricsServer } from "../metrics/metrics-server.ts";
import { createWorkerMetrics } from "./worker-metrics.ts";
import { WorkerService } from "./worker-service.ts";

/** `metricsServer`: the process's --metrics server, if any; the worker adds its metrics to it. */
export function workerServices(config: Config, metricsServer: MetricsServer | null = null): Service[] {
  let worker: WorkerService | null = null;
  const metrics = metricsServer
    ? createWorkerMetrics({ running: () => worker?.runningCount ?? 0, capacity: () => config.concurrency, connected: () => worker?.connected ?? false })
    : null;
  if (metrics) metricsServer!.add(metrics.registry);
  worker = new WorkerService({ config, log: roleLogger("worker"), metrics });
  return [worker];
}
