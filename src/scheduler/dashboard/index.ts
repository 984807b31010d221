/**
 * The dashboard (SPEC §5) as one Elysia plugin: embedded assets, server-rendered
 * pages, form posts and the live SSE streams. Views live in views/; this folder
 * holds the routes and the machinery that keeps many open dashboards cheap.
 */
import { Elysia } from "elysia";
import type { Db } from "../../db/client.ts";
import type { Logger } from "../../log/logger.ts";
import { SignOutForm } from "../../../views/pages/login.tsx";
import type { ChangeFeed } from "../live/change-feed.ts";
import type { SseBudget } from "../sse-budget.ts";
import type { OutputFeed } from "../live/output-feed.ts";
import { assetRoutes } from "./asset-routes.ts";
import { formRoutes } from "./form-routes.ts";
import { bulkRoutes } from "./bulk-routes.ts";
import { DashboardLive, type DashboardLoaders } from "./dashboard-live.ts";
import type { RetentionLoader } from "./overview-data.ts";
import { liveRoutes } from "./live-routes.ts";
import { pageRoutes } from "./page-routes.ts";
import { scheduleDashboardRoutes } from "./schedule-routes.ts";
import { webhookDashboardRoutes } from "./webhook-routes.ts";
import { queueDashboardRoutes } from "./queue-routes.ts";

export interface DashboardDeps {
  db: Db;
  feed: ChangeFeed;
  outputs: OutputFeed;
  log: Logger;
  /** Pages offer a sign-out (when the dashboard needs a sign-in, with --token). */
  signOut?: boolean;
  /** The process's SSE budget (open streams, total backlog). */
  sseBudget?: SseBudget;
  /** Replaces data loaders (tests count them). */
  loaders?: Partial<DashboardLoaders>;
  /** The retention facts for the overview (shared with the metrics). */
  retention?: RetentionLoader;
}

export function dashboardRoutes(deps: DashboardDeps) {
  const live = new DashboardLive(deps.db, deps.feed, deps.log.getChild("dashboard"), deps.loaders, deps.retention);
  const ctx = { db: deps.db, live, sseBudget: deps.sseBudget, outputs: deps.outputs, chrome: deps.signOut ? { actions: SignOutForm() } : {} };
  return new Elysia()
    .use(assetRoutes())
    .use(pageRoutes(ctx))
    .use(bulkRoutes(ctx))
    .use(formRoutes(ctx))
    .use(scheduleDashboardRoutes(ctx))
    .use(webhookDashboardRoutes(ctx))
    .use(queueDashboardRoutes(ctx, deps.log.getChild("queues")))
    .use(liveRoutes(ctx));
}
