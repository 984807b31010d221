/**
 * The request's Host, parsed strictly before anything else looks at it.
 *
 * Bun builds `request.url` from the Host header, so a malformed one (`a b`,
 * `x:99999`, `[::1`, `127.0.0.1@evil.example`) makes `new URL(request.url)`
 * throw deep inside a route. `malformedTarget()` answers such requests with a
 * 400 JSON error at the server's door; `requestHostname()` gives the guard the
 * name the client addressed, for the DNS-rebinding rule (config/loopback.ts).
 */
import { isIP } from "node:net";
import { errorBody } from "../http-errors.ts";

export interface ParsedHost {
  /** The name or address, IPv6 without brackets, as sent (case kept). */
  hostname: string;
  port: number | null;
}

const REG_NAME = /^[A-Za-z0-9_-]{1,63}(?:\.[A-Za-z0-9_-]{1,63})*\.?$/;
const HOST_PORT = /^(\[[^\]]*\]|[^:[\]]*)(?::(\d{1,5}))?$/;

/**
 * Parses a Host header value (RFC 9110: uri-host [":" port]), or null when it is malformed.
 * @example parseHost("[::1]:8080") // { hostname: "::1", port: 8080 }; parseHost("a b") // null
 */
export function parseHost(value: string): ParsedHost | null {
  const m = HOST_PORT.exec(value);
  if (!m) return null;
  const [, host = "", portText] = m;
  const port = portText === undefined ? null : Number(portText);
  if (port !== null && (port < 1 || port > 65535)) return null;
  if (host.startsWith("[")) {
    const ip = host.slice(1, -1);
    return isIP(ip) === 6 ? { hostname: ip, port } : null;
  }
  if (host.length > 253 || !REG_NAME.test(host)) return null;
  return { hostname: host, port };
}

/** The host name the client addressed: from the Host header, else (in-process requests) from the URL. */
export function requestHostname(request: Request): string | null {
  const header = request.headers.get("host");
  if (header !== null) return parseHost(header)?.hostname ?? null;
  try {
    return new URL(request.url).hostname.replace(/^\[|\]$/g, "");
  } catch {
    return null;
  }
}

/**
 * A 400 JSON answer for a request whose Host header or URL cannot be parsed, or
 * undefined when both are sound. Routes may then build `new URL(request.url)`.
 */
export function malformedTarget(request: Request): Response | undefined {
  const header = request.headers.get("host");
  let problem: string | null = null;
  if (header !== null && parseHost(header) === null) problem = "the Host header is not a valid host[:port]";
  else {
    try {
      new URL(request.url);
    } catch {
      problem = "the request URL is not valid";
    }
  }
  if (problem === null) return undefined;
  return Response.json(errorBody("bad_request", problem), { status: 400, headers: { "cache-control": "no-store", connection: "close" } });
}
