/** The coordinator role: hands due tasks to connected workers over gRPC and watches their liveness. */
import type { Config } from "../config/config.ts";
import type { Service } from "../core/lifecycle.ts";
import type { Database } from "../db/client.ts";
import { roleLogger } from "../log/logger.ts";
import { CancelRelay } from "./cancel-relay.ts";
import { handleConnect } from "./session/connect-stream.ts";
import { Dispatcher } from "./dispatcher.ts";
import { GrpcServer } from "./grpc-server.ts";
import { LivenessMonitor } from "./liveness-monitor.ts";
import { appendOutputChunks } from "../db/queries/append-output-chunks.ts";
import { OutputWriter } from "./output-writer.ts";
import { databaseWrites, ReportWriter } from "./report-writer.ts";
import { ScheduleTicker } from "./schedule-ticker.ts";
import { SessionRegistry } from "./session/session-registry.ts";

/** Coordinator services in start order; stopping runs in reverse (server first, then loops, then reports). */
export function coordinatorServices(config: Config, database: Database): Service[] {
  const log = roleLogger("coordinator");
  const registry = new SessionRegistry();
  const reports = new ReportWriter(databaseWrites(database.db), log.getChild("reports"));
  const output = new OutputWriter((chunks) => appendOutputChunks(database.db, chunks, config.maxLogBytes), log.getChild("output"));
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
        address: `${config.grpc.host}:${config.grpc.port}`,
        registry,
        reports,
        output,
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
      if (!(await output.flush(2000))) log.warn("some task output was not written before shutdown");
      if (!(await reports.flush(5000))) log.warn("some worker reports were not written before shutdown");
      output.close();
      reports.close();
    },
  };
  return [
    flushReports,
    new LivenessMonitor(database.db, registry, config.workerTimeoutMs, wake, log.getChild("liveness")),
    new CancelRelay(database, registry, log),
    dispatcher,
    new ScheduleTicker(database, log.getChild("schedules")),
    server,
  ];
}
