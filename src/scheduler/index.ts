/** The scheduler role: the HTTP API and the dashboard. */
import type { Config } from "../config/config.ts";
import type { Service } from "../core/lifecycle.ts";
import type { SubmitWake } from "../core/submit-wake.ts";
import type { Executor } from "../db/sql.ts";
import type { Database } from "../db/client.ts";
import { roleLogger } from "../log/logger.ts";
import { ChangeFeed } from "./live/change-feed.ts";
import { DatabaseGate } from "./database-gate.ts";
import { OutputFeed } from "./live/output-feed.ts";
import { buildHttpApp } from "./http-app.ts";
import { HttpServer } from "./http-server.ts";

/** `submits`: the process's SubmitWake, told of every API submit (core/submit-wake.ts). */
export function schedulerServices(config: Config, database: Database, submits: SubmitWake<Executor> | null = null): Service[] {
  const log = roleLogger("scheduler");
  const feed = new ChangeFeed(database, log.getChild("feed"));
  const outputs = new OutputFeed(database);
  const gate = new DatabaseGate((timeoutMs) => database.probe(timeoutMs), log.getChild("gate"));
  const app = buildHttpApp({ db: database.db, log, feed, outputs, config, gate, submits });
  // The feeds start first so the server never serves a stream before they listen.
  return [feed, outputs, gate, new HttpServer(app, config.http, log, { gate, idleTimeoutSeconds: config.httpIdleTimeoutSeconds })];
}
