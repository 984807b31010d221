import { describe, expect, test } from "bun:test";
import { bearerToken, parseSession, readCookie, SESSION_TTL_SECONDS, sessionCookieHeader, sessionValue, tokensEqual } from "./credentials.ts";
import { safeNext } from "./routes.ts";

describe("credentials", () => {
  test("tokensEqual: exact match only, any lengths, never for an empty expected token", () => {
    expect(tokensEqual("s3cret", "s3cret")).toBe(true);
    expect(tokensEqual("s3cre", "s3cret")).toBe(false);
    expect(tokensEqual("s3cret ", "s3cret")).toBe(false);
    expect(tokensEqual("x".repeat(10_000), "s3cret")).toBe(false);
    expect(tokensEqual("", "")).toBe(false);
  });

  test("bearerToken reads only the Bearer scheme", () => {
    expect(bearerToken("Bearer abc")).toBe("abc");
    expect(bearerToken("bearer   abc ")).toBe("abc");
    expect(bearerToken("Basic YTpi")).toBeNull();
    expect(bearerToken("Bearer")).toBeNull();
    expect(bearerToken("Bearer a b")).toBeNull();
    expect(bearerToken(null)).toBeNull();
  });

  test("a session cookie is an id and an expiry under an HMAC keyed by the token, never the token itself", () => {
    const now = Date.UTC(2030, 0, 1);
    const id = crypto.randomUUID();
    const expires = now / 1000 + SESSION_TTL_SECONDS;
    const v = sessionValue("s3cret", id, expires);
    expect(v).not.toContain("s3cret");
    expect(v).toMatch(/^v2\.[0-9a-f-]{36}\.\d+\.[A-Za-z0-9_-]{43}$/);
    expect(parseSession("s3cret", v, now)).toEqual({ id, expires });
    expect(parseSession("s3cret", v, now + (SESSION_TTL_SECONDS - 1) * 1000)).not.toBeNull();
    expect(parseSession("s3cret", v, now + SESSION_TTL_SECONDS * 1000)).toBeNull();
    expect(parseSession("other", v, now)).toBeNull();
    // A forged expiry or id invalidates the MAC.
    const [, , exp, mac] = v.split(".");
    expect(parseSession("s3cret", `v2.${id}.${Number(exp) + 3600}.${mac}`, now)).toBeNull();
    expect(parseSession("s3cret", `v2.${crypto.randomUUID()}.${exp}.${mac}`, now)).toBeNull();
    for (const bad of [null, "", "s3cret", "v2...", `v1.${exp}.${mac}`]) expect(parseSession("s3cret", bad, now)).toBeNull();
  });

  test("the session lasts 12 hours", () => {
    expect(SESSION_TTL_SECONDS).toBe(12 * 3600);
  });

  test("cookies: read by name; set HttpOnly and SameSite=Strict; over HTTPS Secure with the __Host- prefix", () => {
    expect(readCookie("a=1; taskflow_session=v1.2.x; b=3", "taskflow_session")).toBe("v1.2.x");
    expect(readCookie("xtaskflow_session=1", "taskflow_session")).toBeNull();
    expect(sessionCookieHeader("v", false)).toBe(`taskflow_session=v; Path=/; Max-Age=${SESSION_TTL_SECONDS}; HttpOnly; SameSite=Strict`);
    expect(sessionCookieHeader("v", true)).toBe(`__Host-taskflow_session=v; Path=/; Max-Age=${SESSION_TTL_SECONDS}; HttpOnly; SameSite=Strict; Secure`);
    expect(sessionCookieHeader(null, true)).toBe("__Host-taskflow_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict; Secure");
  });

  test("safeNext keeps sign-in redirects on this site", () => {
    expect(safeNext("/tasks?status=failed")).toBe("/tasks?status=failed");
    for (const bad of ["//evil.example", "/\\evil.example", "https://evil.example", "javascript:alert(1)", "", null, "/a b", 5]) {
      expect(safeNext(bad)).toBe("/");
    }
  });
});
