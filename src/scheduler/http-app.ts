/** Builds the scheduler's Elysia app from its feature plugins; tests call `app.handle()` on it. */
import { sql } from "drizzle-orm";
import { Elysia } from "elysia";
import type { Config } from "../config/config.ts";
import type { Db } from "../db/client.ts";
import type { Logger } from "../log/logger.ts";
import { AuthThrottle } from "../core/auth-throttle.ts";
import { authGuard } from "./auth/guard.ts";
import { SessionStore } from "./auth/session-store.ts";
import { authRoutes } from "./auth/routes.ts";
import type { ChangeFeed } from "./live/change-feed.ts";
import type { OutputFeed } from "./live/output-feed.ts";
import { logRoutes } from "./logs/routes.ts";
import { dashboardRoutes } from "./dashboard/index.ts";
import { eventRoutes } from "./events/routes.ts";
import { databaseGate, DatabaseGate } from "./database-gate.ts";
import { healthRoutes } from "./health-routes.ts";
import { httpErrors } from "./http-errors.ts";
import { httpMetrics } from "./metrics/http-metrics.ts";
import { metricsRoutes } from "./metrics/routes.ts";
import { SchedulerMetrics } from "./metrics/scheduler-metrics.ts";
import { openapiRoutes } from "./openapi/routes.ts";
import { bodyLimit } from "./request-body.ts";
import { scheduleRoutes } from "./schedules/routes.ts";
import { SseBudget, streamHeads } from "./sse-budget.ts";
import { knownQueryParameters } from "./known-query.ts";
import { failureRoutes } from "./failures/routes.ts";
import { taskRoutes } from "./tasks/routes.ts";
import { webhookRoutes } from "./webhooks/routes.ts";
import { queueRoutes } from "./queues/routes.ts";
import { workerRoutes } from "./workers/routes.ts";
import type { SubmitWake } from "../core/submit-wake.ts";
import type { Executor } from "../db/sql.ts";

export interface HttpAppDeps {
  db: Db;
  log: Logger;
  /** The process's change feed, for live dashboards and /api/events. */
  feed: ChangeFeed;
  /** Tells log followers that output was stored. */
  outputs: OutputFeed;
  config: Config;
  /** Told after every API submit, so a coordinator in this process claims without waiting for the NOTIFY. */
  submits?: SubmitWake<Executor> | null;
  /** Answers 503 at once while the database is away (default: a gate probing through `db`, for in-process tests). */
  gate?: DatabaseGate;
}

export function buildHttpApp(deps: HttpAppDeps) {
  const metrics = new SchedulerMetrics(deps.db, deps.log.getChild("metrics"), deps.feed, deps.config.retention);
  const token = deps.config.token;
  const gate = deps.gate ?? new DatabaseGate(async () => void (await deps.db.execute(sql`select 1`)), deps.log.getChild("gate"));
  // One budget for both SSE stacks: the cap counts every open stream of the process.
  const sseBudget = new SseBudget(deps.config.sseMaxConnections);
  // Bearer tokens and sign-ins share one count per address: both guess the same token.
  const sessions = token ? new SessionStore(deps.db, token) : undefined;
  const throttle = new AuthThrottle({ log: deps.log.getChild("auth"), what: "HTTP" });
  // Error mapping and the body limit come first: Elysia applies hooks only to routes added after them.
  // The auth guard runs before routing and the body limit, so it covers every route and refuses before reading.
  const app: Elysia = new Elysia()
    .use(httpErrors(deps.log, () => gate.down || gate.suspect()))
    .use(httpMetrics(metrics.instruments))
    .use(authGuard({ token, insecure: deps.config.insecure, log: deps.log.getChild("auth"), throttle, sessions }))
    .use(databaseGate(gate))
    .use(streamHeads())
    .use(bodyLimit())
    .use(knownQueryParameters(() => app.routes))
    .use(healthRoutes(deps.db, gate))
    .use(authRoutes({ token, log: deps.log.getChild("auth"), throttle, sessions }))
    .use(taskRoutes(deps.db, deps.log.getChild("tasks"), deps.submits ?? null))
    .use(failureRoutes(deps.db))
    .use(logRoutes({ db: deps.db, feed: deps.feed, outputs: deps.outputs, log: deps.log.getChild("logs"), budget: sseBudget }))
    .use(scheduleRoutes(deps.db, deps.log.getChild("schedules")))
    .use(workerRoutes(deps.db, deps.log.getChild("workers")))
    .use(webhookRoutes(deps.db, { allowPrivate: deps.config.webhookAllowPrivate }))
    .use(queueRoutes(deps.db, deps.log.getChild("queues")))
    .use(metricsRoutes(metrics))
    .use(eventRoutes({ feed: deps.feed, metrics, log: deps.log.getChild("events"), sseBudget }))
    .use(dashboardRoutes({ db: deps.db, feed: deps.feed, outputs: deps.outputs, log: deps.log, signOut: token !== null, retention: () => metrics.retention.read(), sseBudget }))
    // Last: it documents the routes added before it.
    .use(openapiRoutes());
  return app;
}
