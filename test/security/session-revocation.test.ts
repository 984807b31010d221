/**
 * Dashboard sessions can be revoked: signing out invalidates that cookie (not
 * only the browser's copy), "sign out everywhere" invalidates every one, on
 * every scheduler sharing the database; sessions last 12 h and slide while
 * used; over HTTPS the cookie is `__Host-` prefixed and Secure.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SessionStore, CHECK_CACHE_MS } from "../../src/scheduler/auth/session-store.ts";
import { parseSession, SESSION_TTL_SECONDS, sessionValue } from "../../src/scheduler/auth/credentials.ts";
import { openDashboardSession } from "../../src/db/queries/open-dashboard-session.ts";
import { backends } from "../support/databases.ts";
import { openSecuredApp, TOKEN, type SecuredApp } from "./support.ts";

const form = { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin" };

for (const backend of backends()) {
  describe(`[${backend}]`, () => {
    let s: SecuredApp;
    beforeAll(async () => {
      s = await openSecuredApp([`--token=${TOKEN}`], backend);
    });
    afterAll(() => s.close());

    /** Signs in and returns the `name=value` of the session cookie. */
    const signIn = async (headers: Record<string, string> = {}) => {
      const r = await s.send("POST", "/login", { headers: { ...form, ...headers }, body: `token=${TOKEN}` });
      expect(r.status).toBe(303);
      return r.headers.get("set-cookie")!.split(";")[0]!;
    };
    const status = async (cookie: string) => (await s.send("GET", "/api/tasks", { headers: { cookie } })).status;

    test("signing out revokes that cookie, even replayed; other sessions stay signed in", async () => {
      const mine = await signIn();
      const other = await signIn();
      expect(await status(mine)).toBe(200);
      const out = await s.send("POST", "/logout", { headers: { ...form, cookie: mine } });
      expect(out.status).toBe(303);
      expect(out.headers.get("set-cookie")).toContain("Max-Age=0");
      // A stolen copy of the cookie is worthless now.
      expect(await status(mine)).toBe(401);
      expect(await status(other)).toBe(200);
    });

    test("sign out everywhere revokes every session; only a signed-in browser may ask for it", async () => {
      const a = await signIn();
      const b = await signIn();
      // Without a session, asking does nothing (anyone may post to /logout).
      await s.send("POST", "/logout", { headers: form, body: "everywhere=1" });
      expect(await status(b)).toBe(200);
      await s.send("POST", "/logout", { headers: { ...form, cookie: a }, body: "everywhere=1" });
      expect(await status(a)).toBe(401);
      expect(await status(b)).toBe(401);
      expect(await status(await signIn())).toBe(200);
    });

    test("over HTTPS the cookie is __Host- prefixed and Secure, and it signs in", async () => {
      const r = await s.send("POST", "/login", { headers: { ...form, "x-forwarded-proto": "https" }, body: `token=${TOKEN}` });
      const header = r.headers.get("set-cookie")!;
      expect(header).toMatch(/^__Host-taskflow_session=v2\.[^;]+; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict; Secure$/);
      expect(await status(header.split(";")[0]!)).toBe(200);
    });

    test("the sign-out form offers to sign out everywhere", async () => {
      const page = await s.send("GET", "/", { headers: { cookie: await signIn(), accept: "text/html" } });
      expect(await page.text()).toContain('name="everywhere" value="1"');
    });

    test("sessions last 12 h and slide: a cookie used in its second half is renewed", async () => {
      let now = Date.UTC(2030, 0, 1);
      const store = new SessionStore(s.database.db, TOKEN, () => now);
      const first = await store.open();
      expect(parseSession(TOKEN, first, now)!.expires).toBe(now / 1000 + SESSION_TTL_SECONDS);
      now += 2 * 3600_000;
      expect(await store.check(first)).toEqual({ valid: true, id: expect.any(String), renewed: null });
      now += 5 * 3600_000;
      const used = await store.check(first);
      expect(used.valid && used.renewed).toBeTruthy();
      const renewed = (used as { renewed: string }).renewed;
      now += 6 * 3600_000;
      // 13 h after sign-in: the first cookie expired, the renewed one lives.
      expect((await store.check(first)).valid).toBe(false);
      expect((await store.check(renewed)).valid).toBe(true);
    });

    test("a request with a session in its second half gets a renewed cookie", async () => {
      const id = crypto.randomUUID();
      const expires = Math.floor(Date.now() / 1000) + 3600;
      await openDashboardSession(s.database.db, id, new Date(expires * 1000));
      const r = await s.send("GET", "/api/tasks", { headers: { cookie: `taskflow_session=${sessionValue(TOKEN, id, expires)}` } });
      expect(r.status).toBe(200);
      const renewed = r.headers.get("set-cookie")!;
      expect(renewed).toMatch(/^taskflow_session=v2\.[^;]+; Path=\/; Max-Age=43200;/);
      expect(parseSession(TOKEN, renewed.split(";")[0]!.split("=")[1]!, Date.now())!.expires).toBeGreaterThan(expires + 3600);
    });

    test("a sign-out on another scheduler takes effect here within the check cache", async () => {
      let now = Date.now();
      const here = new SessionStore(s.database.db, TOKEN, () => now);
      const there = new SessionStore(s.database.db, TOKEN, () => now);
      const cookie = await here.open();
      expect((await here.check(cookie)).valid).toBe(true);
      const { id } = parseSession(TOKEN, cookie, now)!;
      await there.revoke(id);
      now += CHECK_CACHE_MS;
      expect((await here.check(cookie)).valid).toBe(false);
    });
  });
}
