/**
 * What a request may present to prove it knows the shared token: an
 * `Authorization: Bearer TOKEN` header (API clients), or the dashboard's session
 * cookie. The cookie never holds the token itself: it holds an expiry and an
 * HMAC of that expiry keyed by the token, so a leaked cookie expires, reveals
 * nothing about the token, and every scheduler sharing the token accepts it
 * (no server-side session store). Changing the token logs everyone out.
 */
import { createHmac } from "node:crypto";
import { tokensEqual } from "../../core/secrets.ts";

export { tokensEqual };

export const SESSION_COOKIE = "taskflow_session";
/** A dashboard login lasts a week. */
export const SESSION_TTL_SECONDS = 7 * 24 * 3600;
const SESSION_VERSION = "v1";


/** The token of an `Authorization: Bearer TOKEN` header, or null (other schemes, no header). */
export function bearerToken(header: string | null): string | null {
  const m = header?.match(/^\s*Bearer\s+(\S+)\s*$/i);
  return m ? m[1]! : null;
}

function sessionMac(token: string, expires: number): string {
  return createHmac("sha256", token).update(`taskflow-session.${SESSION_VERSION}.${expires}`).digest("base64url");
}

/**
 * A session cookie value valid until `nowMs` + the TTL.
 * @example sessionValue("s3cret", Date.now()) // "v1.1767225600.Xb2…"
 */
export function sessionValue(token: string, nowMs: number): string {
  const expires = Math.floor(nowMs / 1000) + SESSION_TTL_SECONDS;
  return `${SESSION_VERSION}.${expires}.${sessionMac(token, expires)}`;
}

/** True when `value` was made by sessionValue() with this token and has not expired. */
export function isValidSession(token: string, value: string | null, nowMs: number): boolean {
  const m = value?.match(/^v1\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/);
  if (!m) return false;
  const expires = Number(m[1]);
  if (expires * 1000 <= nowMs) return false;
  return tokensEqual(m[2]!, sessionMac(token, expires));
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

/**
 * The Set-Cookie header for a session (or, with `value` null, one that deletes it).
 * HttpOnly keeps it from scripts; SameSite=Strict keeps browsers from sending it
 * on requests started by other sites; Secure when the page was served over HTTPS.
 */
export function sessionCookieHeader(value: string | null, secure: boolean): string {
  const parts = [`${SESSION_COOKIE}=${value ?? ""}`, "Path=/", `Max-Age=${value ? SESSION_TTL_SECONDS : 0}`, "HttpOnly", "SameSite=Strict"];
  if (secure) parts.push("Secure");
  return parts.join("; ");
}
