/**
 * The dashboard's sign-in: GET /login shows the form, POST /login checks the
 * token (constant time) and sets the session cookie, POST /logout clears it.
 * Without --token there is nothing to sign in to: both send the browser on.
 */
import { Elysia } from "elysia";
import type { AuthThrottle } from "../../core/auth-throttle.ts";
import type { Logger } from "../../log/logger.ts";
import { LoginPage } from "../../../views/pages/login.tsx";
import { readFormBody } from "../request-body.ts";
import { readSessionCookie, requestIsHttps, sessionCookieHeader, tokensEqual } from "./credentials.ts";
import type { SessionStore } from "./session-store.ts";

/** A refused sign-in answers this late, which slows guessing through one connection. */
export const FAILED_LOGIN_DELAY_MS = 500;
/** A sign-in form is a few hundred bytes. */
export const MAX_LOGIN_FORM_BYTES = 8 * 1024;

const tags = ["auth"];
const formBody = {
  required: true,
  content: {
    "application/x-www-form-urlencoded": {
      schema: {
        type: "object" as const,
        required: ["token"],
        properties: { token: { type: "string" as const }, next: { type: "string" as const, description: "a path on this site to return to" } },
      },
    },
  },
};
const html = (description: string) => ({ description, content: { "text/html": { schema: { type: "string" as const } } } });
const redirect = (to: string, headers: Record<string, string> = {}) =>
  new Response(null, { status: 303, headers: { location: to, "cache-control": "no-store", ...headers } });
const page = (html: string, status = 200) =>
  new Response(html, { status, headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" } });

export function authRoutes(opts: { token: string | null; log: Logger; throttle?: AuthThrottle; sessions?: SessionStore }) {
  const { token, log, throttle, sessions } = opts;
  return new Elysia({ name: "auth" })
    .get(
      "/login",
      async ({ request, query }) => {
        const next = safeNext(query.next);
        if (!token || !sessions || (await sessions.check(readSessionCookie(request))).valid) return redirect(next);
        return page(LoginPage({ next }));
      },
      { detail: { summary: "The dashboard's sign-in form (HTML)", tags, responses: { 200: html("the sign-in form"), 303: { description: "already signed in, or no token is set" } } } },
    )
    .post(
      "/login",
      async ({ request, server }) => {
        // Read before the token is known to be right, so capped tightly: the guard lets anyone post here.
        const form = await readFormBody(request, MAX_LOGIN_FORM_BYTES);
        const next = safeNext(form.get("next"));
        if (!token || !sessions) return redirect(next);
        const peer = server?.requestIP(request)?.address ?? null;
        const wait = peer !== null ? (throttle?.blockedFor(peer) ?? 0) : 0;
        if (wait > 0) {
          const res = page(LoginPage({ next, error: `Too many failed sign-ins from this address: try again in ${Math.ceil(wait / 1000)} s.` }), 429);
          res.headers.set("retry-after", String(Math.ceil(wait / 1000)));
          return res;
        }
        if (tokensEqual(form.get("token") ?? "", token)) {
          log.info("dashboard sign-in from {peer}", { peer: peer ?? "unknown" });
          return redirect(next, { "set-cookie": sessionCookieHeader(await sessions.open(), requestIsHttps(request)) });
        }
        // Logged sampled by the throttle (one line per address per minute), never what was typed.
        if (peer !== null && throttle) throttle.failed(peer);
        else log.warn("refused a dashboard sign-in: wrong token");
        await Bun.sleep(FAILED_LOGIN_DELAY_MS);
        return page(LoginPage({ next, error: "That is not the token this taskflow was started with." }), 401);
      },
      {
        parse: "none",
        detail: {
          summary: "Sign in to the dashboard with the token; sets an HttpOnly, SameSite=Strict session cookie",
          tags,
          requestBody: formBody,
          responses: { 303: { description: "signed in: back to `next`, with the session cookie" }, 401: html("wrong token: the form again") },
        },
      },
    )
    .post(
      "/logout",
      async ({ request }) => {
        const form = await readFormBody(request, MAX_LOGIN_FORM_BYTES);
        const session = sessions ? await sessions.check(readSessionCookie(request)) : { valid: false as const };
        // Only a signed-in browser may sign everyone out; anyone may drop their own cookie.
        if (session.valid) {
          const everywhere = form.get("everywhere") === "1";
          await sessions!.revoke(everywhere ? null : session.id);
          log.info(everywhere ? "dashboard: signed out every session" : "dashboard: signed out");
        }
        const res = redirect("/login");
        // Both names: a browser may hold the plain cookie from HTTP and the __Host- one from HTTPS.
        res.headers.append("set-cookie", sessionCookieHeader(null, false));
        res.headers.append("set-cookie", sessionCookieHeader(null, true));
        return res;
      },
      {
        parse: "none",
        detail: {
          summary: "Sign out of the dashboard: revokes this session (every session with everywhere=1) and clears the cookie",
          tags,
          requestBody: {
            required: false,
            content: { "application/x-www-form-urlencoded": { schema: { type: "object" as const, properties: { everywhere: { type: "string" as const, enum: ["1"], description: "1: sign out every session, on every browser" } } } } },
          },
          responses: { 303: { description: "to the sign-in form" } },
        },
      },
    );
}

/**
 * Only paths on this site: never `//evil.example` or `https://…` (no open redirect).
 * Printable ASCII only: a Location header cannot carry other characters, and
 * `/login?next=%2F%C4%80` must not become a 500.
 */
export function safeNext(next: unknown): string {
  if (typeof next !== "string" || !/^\/(?![/\\])[\x21-\x7e]*$/.test(next) || next.includes("\\") || next.length > 2048) return "/";
  return next;
}


