/**
 * What a request may present to prove it knows the shared token: an
 * `Authorization: Bearer TOKEN` header (API clients), or the dashboard's session
 * cookie. The cookie never holds the token itself: it holds a session id and an
 * expiry under an HMAC keyed by the token, so a leaked cookie expires and reveals
 * nothing about the token. The session id is recorded in the database
 * (session-store.ts), so signing out revokes the cookie on every scheduler.
 * Changing the token logs everyone out.
 */
import { createHmac } from "node:crypto";
import { tokensEqual } from "../../core/secrets.ts";

export { tokensEqual };

export const SESSION_COOKIE = "taskflow_session";
/** The cookie's name over HTTPS: `__Host-` makes browsers accept it only Secure, for this host, on Path=/. */
export const SECURE_SESSION_COOKIE = `__Host-${SESSION_COOKIE}`;
/** A dashboard sign-in lasts 12 hours, renewed while it is used (session-store.ts). */
export const SESSION_TTL_SECONDS = 12 * 3600;
const SESSION_VERSION = "v2";

/** The token of an `Authorization: Bearer TOKEN` header, or null (other schemes, no header). */
export function bearerToken(header: string | null): string | null {
  const m = header?.match(/^\s*Bearer\s+(\S+)\s*$/i);
  return m ? m[1]! : null;
}

function sessionMac(token: string, id: string, expires: number): string {
  return createHmac("sha256", token).update(`taskflow-session.${SESSION_VERSION}.${id}.${expires}`).digest("base64url");
}

/**
 * A session cookie value for session `id`, valid until `expires` (seconds since the epoch).
 * @example sessionValue("s3cret", "6f1c…", 1767225600) // "v2.6f1c….1767225600.Xb2…"
 */
export function sessionValue(token: string, id: string, expires: number): string {
  return `${SESSION_VERSION}.${id}.${expires}.${sessionMac(token, id, expires)}`;
}

/** The session id and expiry of a cookie made by sessionValue() with this token and not expired; else null. */
export function parseSession(token: string, value: string | null, nowMs: number): { id: string; expires: number } | null {
  const m = value?.match(/^v2\.([0-9a-f-]{36})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/);
  if (!m) return null;
  const id = m[1]!;
  const expires = Number(m[2]);
  if (expires * 1000 <= nowMs) return null;
  return tokensEqual(m[3]!, sessionMac(token, id, expires)) ? { id, expires } : null;
}

/** One cookie's value from a Cookie header, or null. */
export function readCookie(header: string | null, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** The session cookie a request carries: the `__Host-` one (HTTPS) first. */
export function readSessionCookie(request: Request): string | null {
  const header = request.headers.get("cookie");
  return readCookie(header, SECURE_SESSION_COOKIE) ?? readCookie(header, SESSION_COOKIE);
}

/** True when the page was served over HTTPS, directly or behind a proxy that says so. */
export function requestIsHttps(request: Request): boolean {
  return request.url.startsWith("https:") || request.headers.get("x-forwarded-proto") === "https";
}

/**
 * The Set-Cookie header for a session (or, with `value` null, one that deletes it).
 * HttpOnly keeps it from scripts; SameSite=Strict keeps browsers from sending it
 * on requests started by other sites; over HTTPS it is Secure and `__Host-` prefixed.
 */
export function sessionCookieHeader(value: string | null, secure: boolean, maxAgeSeconds = SESSION_TTL_SECONDS): string {
  const name = secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
  const parts = [`${name}=${value ?? ""}`, "Path=/", `Max-Age=${value ? maxAgeSeconds : 0}`, "HttpOnly", "SameSite=Strict"];
  if (secure) parts.push("Secure");
  return parts.join("; ");
}
