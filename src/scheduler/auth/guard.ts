/**
 * The gate in front of every HTTP route (SPEC §3). It runs in onRequest, before
 * routing and before any body is read, so it covers every route whatever order
 * plugins are added in, including routes that do not exist (no probing).
 *
 * - With --token: a request needs `Authorization: Bearer TOKEN` or the dashboard
 *   session cookie. Dashboard page loads without one are sent to the login form;
 *   anything else gets 401 JSON. A token in the query string is never read.
 * - State-changing requests that a browser could have sent with ambient
 *   credentials (a cookie, or none at all on an open loopback instance) must come
 *   from this origin (Fetch Metadata, else Origin): a page on another site, or on
 *   another port of the same host, cannot submit a task through the dashboard.
 * - Without --token on a loopback bind, the Host must be a loopback name, so a
 *   web page cannot reach the open API through DNS rebinding.
 */
import { Elysia } from "elysia";
import { isLoopbackName } from "../../config/loopback.ts";
import type { AuthThrottle } from "../../core/auth-throttle.ts";
import type { Logger } from "../../log/logger.ts";
import { errorBody } from "../http-errors.ts";
import { requestHostname } from "./host-check.ts";
import { bearerToken, readSessionCookie, requestIsHttps, sessionCookieHeader, tokensEqual } from "./credentials.ts";
import type { SessionStore } from "./session-store.ts";

export interface GuardOptions {
  /** The shared token; null leaves the API open (allowed on loopback binds only, or with --insecure). */
  token: string | null;
  /** --insecure: the operator accepted an open API on a network address. */
  insecure: boolean;
  log: Logger;
  /** Counts failed authentications per client address; refuses (429) an address past its limit. */
  throttle?: AuthThrottle;
  /** Dashboard sessions (revocable, sliding); required with a token for cookie sign-in to work. */
  sessions?: SessionStore;
}

/** Paths anyone may request: liveness, and the login form with what it needs. */
export const PUBLIC_PATHS = new Set(["/healthz", "/login", "/logout", "/favicon.svg"]);
/** Static dashboard assets (styles, scripts): nothing secret, needed by the login page. */
export const PUBLIC_PREFIXES = ["/assets/"];

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function isPublicPath(path: string): boolean {
  return PUBLIC_PATHS.has(path) || PUBLIC_PREFIXES.some((p) => path.startsWith(p));
}

/** The guard as a plugin; register it before the routes' plugins (it is global either way). */
export function authGuard(opts: GuardOptions) {
  return new Elysia({ name: "auth-guard" }).onRequest(({ request, server, set }) =>
    checkRequest(request, opts, server?.requestIP(request)?.address ?? null, (cookie) => {
      set.headers["set-cookie"] = cookie;
    }),
  );
}

/**
 * Undefined when the request may proceed, else the refusal to send. `client` is
 * the peer address for the throttle; null in-process (app.handle), where nothing
 * is throttled. `renew` receives a Set-Cookie header when a session slid forward.
 */
export async function checkRequest(
  request: Request,
  opts: GuardOptions,
  client: string | null = null,
  renew: (setCookie: string) => void = () => {},
): Promise<Response | undefined> {
  const url = new URL(request.url);
  const path = url.pathname;
  if (!opts.token && !opts.insecure && path !== "/healthz") {
    const hostname = requestHostname(request);
    if (hostname === null || !isLoopbackName(hostname)) {
      const shown = (hostname ?? "an unparsable Host").slice(0, 100);
      return refuse(421, "misdirected_request", `this open taskflow (no --token) answers only requests addressed to localhost or a loopback IP address, not ${shown}; set --token to serve it under other names`);
    }
  }
  let by: "bearer" | "cookie" | "none" = "none";
  if (opts.token) {
    const given = bearerToken(request.headers.get("authorization"));
    if (given !== null) {
      const wait = client !== null ? (opts.throttle?.blockedFor(client) ?? 0) : 0;
      if (wait > 0) return tooManyFailures(wait);
      // A wrong bearer token is an error even with a good cookie: clients learn of their mistake.
      if (tokensEqual(given, opts.token)) by = "bearer";
      else if (client !== null) opts.throttle?.failed(client);
    } else if (opts.sessions) {
      // Other schemes are ignored rather than refused: a proxy's Basic auth in front of taskflow sends one on every request.
      const session = await opts.sessions.check(readSessionCookie(request));
      if (session.valid) {
        by = "cookie";
        if (session.renewed) renew(sessionCookieHeader(session.renewed, requestIsHttps(request)));
      }
    }
    if (by === "none" && !isPublicPath(path)) return unauthenticated(request, url);
  }
  if (!SAFE_METHODS.has(request.method) && by !== "bearer") {
    const problem = crossSiteProblem(request, url, by === "cookie");
    if (problem) {
      opts.log.warn("refused a cross-site {method} {path}: {problem}", { method: request.method, path, problem });
      return refuse(403, "cross_site_request", `refused: ${problem}`);
    }
  }
  return undefined;
}

/**
 * Why a state-changing request may have been forged by another site, or null.
 * Browsers send Sec-Fetch-Site (all current ones) or at least Origin on POSTs;
 * a cookie-authenticated request with neither is refused, while scripts without
 * a cookie (curl on an open loopback instance) carry neither and pass.
 */
export function crossSiteProblem(request: Request, url: URL, cookieAuthenticated: boolean): string | null {
  const site = request.headers.get("sec-fetch-site");
  if (site !== null) return site === "same-origin" || site === "none" ? null : `Sec-Fetch-Site is ${site}`;
  const origin = request.headers.get("origin");
  if (origin !== null) {
    let host: string | null = null;
    try {
      host = origin === "null" ? null : new URL(origin).host;
    } catch {}
    return host !== null && host === url.host ? null : `Origin ${origin} is not ${url.host}`;
  }
  return cookieAuthenticated ? "a browser request without Origin or Sec-Fetch-Site" : null;
}

/** Page loads go to the login form; htmx, SSE and API calls get 401 JSON. */
function unauthenticated(request: Request, url: URL): Response {
  const wantsPage =
    (request.method === "GET" || request.method === "HEAD") &&
    (request.headers.get("accept") ?? "").includes("text/html") &&
    request.headers.get("hx-request") === null;
  if (wantsPage) {
    // SameSite=Strict cookies are not sent on the first navigation from another site
    // (a link in a chat): reload once from this origin, where the cookie is sent.
    if (request.headers.get("sec-fetch-site") === "cross-site") {
      return new Response('<!doctype html><meta http-equiv="refresh" content="0"><title>taskflow</title>', {
        headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
      });
    }
    const next = encodeURIComponent(url.pathname + url.search);
    return new Response(null, { status: 303, headers: { location: `/login?next=${next}`, "cache-control": "no-store" } });
  }
  const res = refuse(401, "unauthorized", "missing or wrong token: send Authorization: Bearer TOKEN");
  res.headers.set("www-authenticate", 'Bearer realm="taskflow"');
  if (request.headers.get("hx-request") !== null) res.headers.set("hx-redirect", "/login");
  return res;
}

/** 429 for an address past its failed-authentication limit; its credentials are not even checked. */
export function tooManyFailures(waitMs: number): Response {
  const seconds = Math.ceil(waitMs / 1000);
  const res = refuse(429, "too_many_failed_attempts", `too many failed authentications from this address; retry in ${seconds} s`);
  res.headers.set("retry-after", String(seconds));
  return res;
}

function refuse(status: number, code: string, message: string): Response {
  return Response.json(errorBody(code, message), { status, headers: { "cache-control": "no-store" } });
}
