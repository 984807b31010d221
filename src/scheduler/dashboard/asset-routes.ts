/**
 * The dashboard's static assets, embedded in the binary (`type: "file"` imports)
 * and served under versioned URLs (views/asset-urls.ts), so browsers may cache
 * them for a long time. Nothing comes from a CDN.
 */
import { Elysia } from "elysia";
import htmxPath from "htmx.org/dist/htmx.min.js" with { type: "file" };
import htmxSsePath from "htmx-ext-sse/dist/sse.min.js" with { type: "file" };
import stylesheetPath from "../../../views/styles/dashboard.css" with { type: "file" };
import liveTimesPath from "../../../views/client/live-times.js" with { type: "file" };
import liveLogPath from "../../../views/client/live-log.js" with { type: "file" };
import liveConnectionPath from "../../../views/client/live-connection.js" with { type: "file" };
import liveListPath from "../../../views/client/live-list.js" with { type: "file" };
import iconPath from "../../../views/client/favicon.svg" with { type: "file" };
import { ASSET_URLS } from "../../../views/asset-urls.ts";

/** Versioned URLs change with every release, so a day of caching is safe. */
const CACHE = "public, max-age=86400, immutable";

const ASSETS: { url: string; path: string; type: string }[] = [
  { url: ASSET_URLS.htmx, path: htmxPath, type: "text/javascript; charset=utf-8" },
  { url: ASSET_URLS.htmxSse, path: htmxSsePath, type: "text/javascript; charset=utf-8" },
  { url: ASSET_URLS.liveTimes, path: liveTimesPath, type: "text/javascript; charset=utf-8" },
  { url: ASSET_URLS.liveLog, path: liveLogPath, type: "text/javascript; charset=utf-8" },
  { url: ASSET_URLS.liveConnection, path: liveConnectionPath, type: "text/javascript; charset=utf-8" },
  { url: ASSET_URLS.liveList, path: liveListPath, type: "text/javascript; charset=utf-8" },
  { url: ASSET_URLS.stylesheet, path: stylesheetPath, type: "text/css; charset=utf-8" },
  { url: ASSET_URLS.icon, path: iconPath, type: "image/svg+xml" },
];

export function assetRoutes() {
  const app = new Elysia();
  for (const a of ASSETS) {
    app.get(a.url, () => new Response(Bun.file(a.path), { headers: { "content-type": a.type, "cache-control": CACHE } }), {
      detail: { hide: true },
    });
  }
  return app;
}
