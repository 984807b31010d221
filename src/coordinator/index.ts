/** The coordinator role: hands due tasks to connected workers over gRPC and watches their liveness. */
import { randomUUID } from "node:crypto";
import type { Config } from "../config/config.ts";
import type { Service } from "../core/lifecycle.ts";
import type { SubmitWake } from "../core/submit-wake.ts";
import type { Executor } from "../db/sql.ts";
import type { Database } from "../db/client.ts";
import { roleLogger } from "../log/logger.ts";
import type { MetricsServer } from "../metrics/metrics-server.ts";
import { onWorkerMessage, type ConnectServerStream } from "../proto/index.ts";
import { CancelRelay } from "./cancel-relay.ts";
import { WorkerControlRelay } from "./worker-control-relay.ts";
import type { InProcessLink } from "../proto/in-process-link.ts";
import { handleConnect, type ConnectDeps } from "./session/connect-stream.ts";
import { HeartbeatBatch } from "./session/heartbeats.ts";
import { createCoordinatorMetrics, type CoordinatorMetrics } from "./coordinator-metrics.ts";
import { Dispatcher } from "./dispatcher.ts";
import { GrpcServer } from "./grpc-server.ts";
import { LivenessMonitor } from "./liveness-monitor.ts";
import { Pruner } from "./pruner.ts";
import { appendOutputChunks } from "../db/queries/append-output-chunks.ts";
import { OutputWriter } from "./output-writer.ts";
import { databaseWrites, ReportWriter } from "./report-writer.ts";
import { ScheduleTicker } from "./schedule-ticker.ts";
import { SessionRegistry } from "./session/session-registry.ts";
import { AuthThrottle } from "../core/auth-throttle.ts";
import { WebhookSender } from "./webhooks/webhook-sender.ts";

/** Coordinator services in start order; stopping runs in reverse (server first, then loops, then reports). */
/** `metricsServer`: the process's --metrics server, if any; the coordinator adds its metrics to it. */
/** `submits`: the process's SubmitWake when the scheduler runs beside this coordinator (`--role=all`). */
/** `link`: the in-memory stream of this process's own worker, when one runs here (proto/in-process-link.ts). */
export function coordinatorServices(
  config: Config,
  database: Database,
  metricsServer: MetricsServer | null = null,
  submits: SubmitWake<Executor> | null = null,
  link: InProcessLink | null = null,
): Service[] {
  const log = roleLogger("coordinator");
  const registry = new SessionRegistry();
  // A new identity per process: the liveness rule tells a restarted coordinator from the one before it.
  const coordinatorId = randomUUID();
  const address = `${config.grpc.host}:${config.grpc.port}`;
  const reports = new ReportWriter(databaseWrites(database.db), log.getChild("reports"));
  const metrics = createCoordinatorMetrics(registry);
  metricsServer?.add(metrics.registry);
  const output = new OutputWriter((chunks) => appendOutputChunks(database.db, chunks, config.maxLogBytes), log.getChild("output"));
  const dispatcher = new Dispatcher(database, registry, log.getChild("dispatcher"), metrics, submits);
  const wake = () => dispatcher.wake();
  const heartbeats = new HeartbeatBatch(database.db, config.heartbeatMs, log.getChild("sessions"), wake);
  const throttle = new AuthThrottle({ log: log.getChild("sessions"), what: "gRPC" });
  const connectDeps: ConnectDeps = {
    db: database.db,
    log: log.getChild("sessions"),
    // With --worker-token, only it opens a stream; the API's token does not.
    token: config.workerToken ?? config.token,
    throttle,
    heartbeatMs: config.heartbeatMs,
    workerTimeoutMs: config.workerTimeoutMs,
    address,
    coordinatorId,
    registry,
    reports,
    output,
    wake,
    slotFreed: () => dispatcher.slotFreed(),
    heartbeats,
  };
  const connect = (stream: ConnectServerStream, deps: ConnectDeps) => {
    countWorkerMessages(stream, metrics);
    handleConnect(stream, deps);
  };
  const server = new GrpcServer(config, (stream) => connect(stream, connectDeps), registry, log);
  // This process's own worker is trusted: it needs no token, and its session is recorded like any other.
  const localWorker: Service | null = link && {
    name: "in-process link",
    start: async () => link.serve((stream) => connect(stream, { ...connectDeps, token: null })),
    stop: async () => link.serve(null),
  };
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
    new LivenessMonitor(
      database,
      registry,
      { coordinatorId, address, workerTimeoutMs: config.workerTimeoutMs, onLost: (n) => (metrics.workersDeclaredDead.inc(n), wake()) },
      log.getChild("liveness"),
    ),
    heartbeats,
    new CancelRelay(database, registry, log),
    new WorkerControlRelay(database, registry, log.getChild("sessions")),
    dispatcher,
    new ScheduleTicker(database, log.getChild("schedules")),
    new Pruner(database.db, config.retention, log.getChild("pruner"), { vacuum: database.kind === "pglite" }),
    new WebhookSender(database.db, log.getChild("webhooks"), {
      allowPrivate: config.webhookAllowPrivate,
      onAttempt: (event, result, seconds) => {
        metrics.webhookDeliveries.inc({ event, result: result.delivered ? "delivered" : "failed" });
        metrics.webhookDuration.observe(seconds);
      },
      onPruned: (n) => metrics.webhookPruned.inc(n),
    }),
    server,
    ...(localWorker ? [localWorker] : []),
  ];
}

/** Counts what a worker's stream carries, beside the session handler that acts on it. */
function countWorkerMessages(stream: ConnectServerStream, metrics: CoordinatorMetrics): void {
  metrics.sessionsOpened.inc();
  onWorkerMessage(stream, (message) => {
    if (!message.body) return;
    metrics.workerMessages.inc({ type: message.body });
    if (message.body === "heartbeat") metrics.heartbeats.inc();
  });
}
