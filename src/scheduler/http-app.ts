/** Builds the scheduler's Elysia app from its feature plugins; tests call `app.handle()` on it. */
import { Elysia } from "elysia";
import type { Db } from "../db/client.ts";
import type { Logger } from "../log/logger.ts";
import { healthRoutes } from "./health-routes.ts";
import { httpErrors } from "./http-errors.ts";

export interface HttpAppDeps {
  db: Db;
  log: Logger;
}

export function buildHttpApp(deps: HttpAppDeps) {
  return new Elysia().use(httpErrors(deps.log)).use(healthRoutes(deps.db));
}
