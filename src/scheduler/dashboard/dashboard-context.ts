/** What the dashboard's route plugins share: the database, the live state, and what every page shows around its content. */
import type { Db } from "../../db/client.ts";
import type { PageChrome } from "../../../views/layout.tsx";
import type { DashboardLive } from "./dashboard-live.ts";
import type { SseBudget } from "../sse-budget.ts";
import type { OutputFeed } from "../live/output-feed.ts";

export interface DashboardContext {
  db: Db;
  live: DashboardLive;
  /** Output notices, for live logs and attempt ends. */
  outputs: OutputFeed;
  chrome: PageChrome;
  /** The process's SSE budget; live streams take a slot from it. */
  sseBudget?: SseBudget;
}
