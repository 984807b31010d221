/**
 * The page shell every dashboard page (and the login page) renders into: the
 * embedded stylesheet and scripts, the top bar with navigation, and the main
 * column. Pages work without the scripts; htmx and its SSE extension only make
 * them live, and live-times.js only ticks relative times.
 */
import type { Children } from "@kitajs/html";
import { ASSET_URLS } from "./asset-urls.ts";

/** Which navigation entry is current; null hides the navigation (login, errors before sign-in). */
export type NavItem = "overview" | "tasks" | "failures" | "schedules" | "queues" | "workers" | "webhooks" | "new-task" | null;

/** What every page passes on to the layout, the same for all pages of a process. */
export interface PageChrome {
  /** Extra controls at the right of the top bar (e.g. a sign-out form). */
  actions?: JSX.Element;
}

export interface LayoutProps {
  title: string;
  nav?: NavItem;
  /** Render time: the browser aligns its clock to it when ticking relative times. */
  now?: Date;
  /** Extra controls at the right of the top bar (e.g. a sign-out form). */
  actions?: Children;
  children?: Children;
}

const NAV: { item: Exclude<NavItem, null>; href: string; label: string }[] = [
  { item: "overview", href: "/", label: "Overview" },
  { item: "tasks", href: "/tasks", label: "Tasks" },
  { item: "failures", href: "/failures", label: "Failures" },
  { item: "schedules", href: "/schedules", label: "Schedules" },
  { item: "queues", href: "/queues", label: "Queues" },
  { item: "workers", href: "/workers", label: "Workers" },
  { item: "webhooks", href: "/webhooks", label: "Webhooks" },
  { item: "new-task", href: "/tasks/new", label: "New task" },
];

/**
 * htmx's settings: an action refused (404 gone, 409 conflict, 422 bad input) answers
 * a fragment saying why, swapped in place like a result; other errors swap nothing.
 */
const HTMX_CONFIG = JSON.stringify({
  responseHandling: [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "^(404|409|422)$", swap: true, error: false },
    { code: "[45]..", swap: false, error: true },
  ],
});

/** A whole HTML document (with its doctype) around `children`. */
export function Layout({ title, nav = null, now = new Date(), actions, children }: LayoutProps): string {
  const body = (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <meta name="server-now" content={String(now.getTime())} />
        <meta name="htmx-config" content={HTMX_CONFIG} />
        <title safe>{`${title} · taskflow`}</title>
        <link rel="icon" href={ASSET_URLS.icon} type="image/svg+xml" />
        <link rel="stylesheet" href={ASSET_URLS.stylesheet} />
        <script src={ASSET_URLS.htmx} defer></script>
        <script src={ASSET_URLS.htmxSse} defer></script>
        <script src={ASSET_URLS.liveTimes} defer></script>
        <script src={ASSET_URLS.liveLog} defer></script>
        <script src={ASSET_URLS.liveConnection} defer></script>
        <script src={ASSET_URLS.liveList} defer></script>
      </head>
      <body>
        <header class="topbar">
          <a class="brand" href="/">
            <span class="brand-mark" aria-hidden="true"></span>
            <span class="brand-name">taskflow</span>
          </a>
          {nav !== null && (
            <nav aria-label="Main">
              {NAV.map((n) => (
                <a href={n.href} class={n.item === "new-task" ? "nav-action" : undefined} aria-current={n.item === nav ? "page" : undefined} safe>
                  {n.label}
                </a>
              ))}
            </nav>
          )}
          {/* Filled in by live-connection.js when the page's stream connects; empty without JavaScript. */}
          <span class="live-state" id="live-state" role="status" title="Live updates"></span>
          {/* Shown by live-times.js: times in UTC or the browser's zone, remembered per browser. */}
          <button type="button" class="tz-toggle" id="tz-toggle" hidden title="Show times in UTC or in your time zone"></button>
          {actions}
        </header>
        <div class="live-banner" id="live-banner" role="alert" hidden>
          <strong>Disconnected.</strong> This page is out of date until taskflow answers again; reconnecting…
        </div>
        <main>{children}</main>
      </body>
    </html>
  ) as string;
  return `<!doctype html>${body}`;
}
