/** The worker role: runs dispatched tasks and reports them over gRPC; it never touches the database. */
import type { Config } from "../config/config.ts";
import type { Service } from "../core/lifecycle.ts";
import { roleLogger } from "../log/logger.ts";
import { WorkerService } from "./worker-service.ts";

export function workerServices(config: Config): Service[] {
  return [new WorkerService({ config, log: roleLogger("worker") })];
}
