/**
 * URLs of the dashboard's embedded assets, shared by the layout (which links them)
 * and src/scheduler/dashboard/asset-routes.ts (which serves them). Third-party
 * files carry their pinned version in the path; ours carry taskflow's version.
 */
import { VERSION } from "../src/core/version.ts";

export const HTMX_VERSION = "2.0.11";
export const HTMX_SSE_VERSION = "2.2.4";

export const ASSET_URLS = {
  htmx: `/assets/htmx-${HTMX_VERSION}.min.js`,
  htmxSse: `/assets/htmx-ext-sse-${HTMX_SSE_VERSION}.min.js`,
  stylesheet: `/assets/dashboard-${VERSION}.css`,
  liveTimes: `/assets/live-times-${VERSION}.js`,
  liveLog: `/assets/live-log-${VERSION}.js`,
  liveConnection: `/assets/live-connection-${VERSION}.js`,
  liveList: `/assets/live-list-${VERSION}.js`,
  icon: "/favicon.svg",
} as const;
