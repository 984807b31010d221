/** Builds the scheduler's Elysia app from its feature plugins; tests call `app.handle()` on it. */
import { Elysia } from "elysia";
import type { Config } from "../config/config.ts";
import type { Db } from "../db/client.ts";
import type { Logger } from "../log/logger.ts";
import { authGuard } from "./auth/guard.ts";
import { authRoutes } from "./auth/routes.ts";
import type { ChangeFeed } from "./live/change-feed.ts";
import { dashboardRoutes } from "./dashboard/index.ts";
import { eventRoutes } from "./events/routes.ts";
import { healthRoutes } from "./health-routes.ts";
import { httpErrors } from "./http-errors.ts";
import { httpMetrics } from "./metrics/http-metrics.ts";
import { metricsRoutes } from "./metrics/routes.ts";
import { SchedulerMetrics } from "./metrics/scheduler-metrics.ts";
import { openapiRoutes } from "./openapi/routes.ts";
import { bodyLimit } from "./request-body.ts";
import { scheduleRoutes } from "./schedules/routes.ts";
import { taskRoutes } from "./tasks/routes.ts";
import { queueRoutes } from "./queues/routes.ts";
import { workerRoutes } from "./workers/routes.ts";

export interface HttpAppDeps {
  db: Db;
  log: Logger;
  /** The process's change feed, for live dashboards and /api/events. */
  feed: ChangeFeed;
  config: Config;
}

export function buildHttpApp(deps: HttpAppDeps) {
  const metrics = new SchedulerMetrics(deps.db, deps.log.getChild("metrics"), deps.feed);
  const token = deps.config.token;
  // Error mapping and the body limit come first: Elysia applies hooks only to routes added after them.
  // The auth guard runs before routing and the body limit, so it covers every route and refuses before reading.
  return new Elysia()
    .use(httpErrors(deps.log))
    .use(httpMetrics(metrics.instruments))
    .use(authGuard({ token, insecure: deps.config.insecure, log: deps.log.getChild("auth") }))
    .use(bodyLimit())
    .use(healthRoutes(deps.db))
    .use(authRoutes({ token, log: deps.log.getChild("auth") }))
    .use(taskRoutes(deps.db, deps.log.getChild("tasks")))
    .use(scheduleRoutes(deps.db, deps.log.getChild("schedules")))
    .use(workerRoutes(deps.db))
    .use(queueRoutes(deps.db, deps.log.getChild("queues")))
    .use(metricsRoutes(metrics))
    .use(eventRoutes({ feed: deps.feed, metrics, log: deps.log.getChild("events") }))
    .use(dashboardRoutes({ db: deps.db, feed: deps.feed, log: deps.log, signOut: token !== null }))
    // Last: it documents the routes added before it.
    .use(openapiRoutes());
}
