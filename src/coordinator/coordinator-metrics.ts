/**
 * What this coordinator did, for its own /metrics (`--metrics`): claims, dispatches
 * and their lag, worker messages and heartbeats, sessions, workers it declared dead,
 * webhook deliveries and their pruning. Each coordinator counts only its own work, so summing a metric
 * over all coordinators (`sum(rate(...))`) gives the cluster's figure.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { SessionRegistry } from "./session/session-registry.ts";

/** Due time to claim: milliseconds when healthy, minutes when workers are short. */
const LAG_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];
const DELIVERY_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type CoordinatorMetrics = ReturnType<typeof createCoordinatorMetrics>;

export function createCoordinatorMetrics(sessions: SessionRegistry) {
  const registry = new Registry();
  const registers = [registry];
  new Gauge({
    name: "taskflow_coordinator_sessions",
    help: "Worker streams this coordinator holds now.",
    registers,
    collect() {
      this.set(sessions.size);
    },
  });
  new Gauge({
    name: "taskflow_coordinator_free_slots",
    help: "Free task slots on the workers this coordinator holds, by queue (a worker serving several queues counts in each).",
    labelNames: ["queue"],
    registers,
    collect() {
      this.reset();
      for (const s of sessions.all()) for (const q of s.queues) this.inc({ queue: q }, s.draining ? 0 : Math.max(0, s.free));
    },
  });
  return {
    registry,
    claims: new Counter({ name: "taskflow_coordinator_claims_total", help: "Task attempts this coordinator claimed, by queue.", labelNames: ["queue"], registers }),
    dispatches: new Counter({
      name: "taskflow_coordinator_dispatches_total",
      help: "Claimed attempts handed to a worker (sent), and those whose stream was gone (unsent, failed as lost), by queue.",
      labelNames: ["queue", "result"],
      registers,
    }),
    dispatchLag: new Histogram({
      name: "taskflow_coordinator_dispatch_lag_seconds",
      help: "From a task's run_at to its dispatch by this coordinator (this machine's clock), by queue.",
      labelNames: ["queue"],
      buckets: LAG_BUCKETS,
      registers,
    }),
    sessionsOpened: new Counter({ name: "taskflow_coordinator_sessions_opened_total", help: "Worker streams opened to this coordinator.", registers }),
    workerMessages: new Counter({
      name: "taskflow_coordinator_worker_messages_total",
      help: "Messages received from workers, by type (hello, heartbeat, started, finished).",
      labelNames: ["type"],
      registers,
    }),
    heartbeats: new Counter({ name: "taskflow_coordinator_heartbeats_total", help: "Worker heartbeats received.", registers }),
    workersDeclaredDead: new Counter({ name: "taskflow_coordinator_workers_declared_dead_total", help: "Worker sessions this coordinator declared dead (no heartbeat within --worker-timeout).", registers }),
    webhookDeliveries: new Counter({
      name: "taskflow_webhook_deliveries_total",
      help: "Webhook delivery attempts, by event and result (delivered, failed).",
      labelNames: ["event", "result"],
      registers,
    }),
    webhookPruned: new Counter({
      name: "taskflow_webhook_deliveries_pruned_total",
      help: "Finished webhook deliveries this coordinator deleted after their keep time (7 days).",
      registers,
    }),
    webhookDuration: new Histogram({
      name: "taskflow_webhook_delivery_duration_seconds",
      help: "Time of webhook delivery attempts, to the receiver's answer (or the 10 s limit).",
      buckets: DELIVERY_BUCKETS,
      registers,
    }),
  };
}
