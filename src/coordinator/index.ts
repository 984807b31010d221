/** The coordinator role: hands due tasks to connected workers over gRPC and watches their liveness. */
import { randomUUID } from "node:crypto";
import type { Config } from "../config/config.ts";
import type { Service } from "../core/lifecycle.ts";
import type { Database } from "../db/client.ts";
import { roleLogger } from "../log/logger.ts";
import { CancelRelay } from "./cancel-relay.ts";
import { handleConnect } from "./connect-handler.ts";
import { Dispatcher } from "./dispatcher.ts";
import { GrpcServer } from "./grpc-server.ts";
import { LivenessMonitor } from "./liveness-monitor.ts";
import { databaseWrites, ReportWriter } from "./report-writer.ts";
import { ScheduleTicker } from "./schedule-ticker.ts";
import { SessionRegistry } from "./session-registry.ts";
import { WebhookSender } from "./webhooks/webhook-sender.ts";

/** Coordinator services in start order; stopping runs in reverse (server first, then loops, then reports). */
export function coordinatorServices(config: Config, database: Database): Service[] {
  const log = roleLogger("coordinator");
  const registry = new SessionRegistry();
  // A new identity per process: the liveness rule tells a restarted coordinator from the one before it.
  const coordinatorId = randomUUID();
  const address = `${config.grpc.host}:${config.grpc.port}`;
  const reports = new ReportWriter(databaseWrites(database.db), log.getChild("reports"));
  const dispatcher = new Dispatcher(database, registry, log.getChild("dispatcher"));
  const wake = () => dispatcher.wake();
  const server = new GrpcServer(
    config,
    (stream) =>
      handleConnect(stream, {
        db: database.db,
        log: log.getChild("sessions"),
        token: config.token,
        heartbeatMs: config.heartbeatMs,
        workerTimeoutMs: config.workerTimeoutMs,
        address,
        coordinatorId,
        registry,
        reports,
        wake,
        slotFreed: () => dispatcher.slotFreed(),
      }),
    registry,
    log,
  );
  const flushReports: Service = {
    name: "report-writer",
    start: async () => {},
    stop: async () => {
      if (!(await reports.flush(5000))) log.warn("some worker reports were not written before shutdown");
      reports.close();
    },
  };
  return [
    flushReports,
    new LivenessMonitor(database, registry, { coordinatorId, address, workerTimeoutMs: config.workerTimeoutMs, onLost: wake }, log.getChild("liveness")),
    new CancelRelay(database, registry, log),
    dispatcher,
    new ScheduleTicker(database, log.getChild("schedules")),
    new WebhookSender(database.db, log.getChild("webhooks"), { allowPrivate: config.webhookAllowPrivate }),
    server,
  ];
}
