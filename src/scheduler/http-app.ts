/** Builds the scheduler's Elysia app from its feature plugins; tests call `app.handle()` on it. */
import { Elysia } from "elysia";
import type { Config } from "../config/config.ts";
import type { Db } from "../db/client.ts";
import type { Logger } from "../log/logger.ts";
import type { ChangeFeed } from "./change-feed.ts";
import { healthRoutes } from "./health-routes.ts";
import { httpErrors } from "./http-errors.ts";
import { bodyLimit } from "./request-body.ts";
import { taskRoutes } from "./tasks/routes.ts";
import { workerRoutes } from "./workers/routes.ts";

export interface HttpAppDeps {
  db: Db;
  log: Logger;
  /** The process's change feed, for live dashboards and /api/events. */
  feed: ChangeFeed;
  config: Config;
}

export function buildHttpApp(deps: HttpAppDeps) {
  // Error mapping and the body limit come first: Elysia applies hooks only to routes added after them.
  return new Elysia()
    .use(httpErrors(deps.log))
    .use(bodyLimit())
    .use(healthRoutes(deps.db))
    .use(taskRoutes(deps.db))
    .use(workerRoutes(deps.db));
}
