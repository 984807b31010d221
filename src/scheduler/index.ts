/** The scheduler role: the HTTP API and the dashboard. */
import type { Config } from "../config/config.ts";
import type { Service } from "../core/lifecycle.ts";
import type { Database } from "../db/client.ts";
import { roleLogger } from "../log/logger.ts";
import { buildHttpApp } from "./http-app.ts";
import { HttpServer } from "./http-server.ts";

export function schedulerServices(config: Config, database: Database): Service[] {
  const log = roleLogger("scheduler");
  const app = buildHttpApp({ db: database.db, log });
  return [new HttpServer(app, config.http, log)];
}
