/**
 * With --token every route, enumerated from the router itself, refuses requests
 * without the token or with a wrong one and serves the right one; /healthz and
 * the sign-in form stay open. Then the dashboard's cookie sign-in, and the
 * cross-site request checks that hold with or without a token.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { isPublicPath } from "../../src/scheduler/auth/guard.ts";
import { concretePath, drain, openSecuredApp, TOKEN, type SecuredApp } from "./support.ts";

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe("with --token", () => {
  let s: SecuredApp;
  beforeAll(async () => {
    s = await openSecuredApp([`--token=${TOKEN}`]);
  });
  afterAll(() => s.close());

  test("the router has the API's routes (the enumeration below is not empty)", () => {
    const routes = s.app.routes.map((r) => `${r.method} ${r.path}`);
    for (const r of ["POST /api/tasks", "GET /api/tasks/:id", "GET /api/workers", "GET /metrics", "GET /api/metrics", "GET /api/events", "GET /openapi.json", "GET /readyz"]) {
      expect(routes).toContain(r);
    }
  });

  test("every route: 401 without a token and with a wrong one, served with the right one; only public paths are open", async () => {
    const open: string[] = [];
    for (const route of s.app.routes) {
      const path = concretePath(route.path);
      const label = `${route.method} ${route.path}`;
      const none = await s.send(route.method, path);
      await drain(none);
      const wrong = await s.send(route.method, path, { headers: bearer("not-the-token") });
      await drain(wrong);
      const right = await s.send(route.method, path, { headers: bearer(TOKEN) });
      await drain(right);
      if (isPublicPath(path)) {
        open.push(route.path);
        continue;
      }
      expect({ label, none: none.status, wrong: wrong.status, right: right.status === 401 }).toEqual({ label, none: 401, wrong: 401, right: false });
    }
    // The open ones are exactly liveness and the sign-in form's (static files included).
    for (const p of open) expect(p === "/healthz" || p === "/login" || p === "/logout" || p === "/favicon.svg" || p.startsWith("/assets/")).toBe(true);
    expect(open).toContain("/healthz");
  });

  test("a 401 is JSON with WWW-Authenticate, and routes that do not exist are 401 too (no probing)", async () => {
    const r = await s.send("GET", "/api/tasks");
    expect(r.status).toBe(401);
    expect(r.headers.get("www-authenticate")).toBe('Bearer realm="taskflow"');
    expect(await r.json()).toEqual({ error: "unauthorized", message: expect.any(String), details: [] });
    expect((await s.send("GET", "/no/such/route")).status).toBe(401);
    expect((await s.send("GET", "/healthz")).status).toBe(200);
  });

  test("a token in the query string is not accepted, nor other schemes", async () => {
    for (const q of [`token=${TOKEN}`, `access_token=${TOKEN}`, `authorization=Bearer%20${TOKEN}`]) {
      expect((await s.send("GET", `/api/tasks?${q}`)).status).toBe(401);
    }
    expect((await s.send("GET", "/api/tasks", { headers: { authorization: `Basic ${btoa(`x:${TOKEN}`)}` } })).status).toBe(401);
    expect((await s.send("GET", "/api/tasks", { headers: { authorization: TOKEN } })).status).toBe(401);
    expect((await s.send("GET", "/api/tasks", { headers: { authorization: `bearer ${TOKEN}` } })).status).toBe(200);
  });

  test("a page load without a session goes to the sign-in form; htmx and SSE requests get 401", async () => {
    const page = await s.send("GET", "/tasks?status=failed", { headers: { accept: "text/html,*/*" } });
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/login?next=%2Ftasks%3Fstatus%3Dfailed");
    const htmx = await s.send("GET", "/", { headers: { accept: "text/html", "hx-request": "true" } });
    expect(htmx.status).toBe(401);
    expect(htmx.headers.get("hx-redirect")).toBe("/login");
    expect((await s.send("GET", "/api/events", { headers: { accept: "text/event-stream" } })).status).toBe(401);
    // The first navigation from another site carries no SameSite=Strict cookie: reload once from here.
    const fromLink = await s.send("GET", "/", { headers: { accept: "text/html", "sec-fetch-site": "cross-site" } });
    expect(fromLink.status).toBe(200);
    expect(await fromLink.text()).toContain('http-equiv="refresh"');
  });

  test("sign-in: the form, a wrong token refused, the right one sets an HttpOnly SameSite=Strict cookie that is not the token", async () => {
    const form = await s.send("GET", "/login?next=/tasks", { headers: { accept: "text/html" } });
    expect(form.status).toBe(200);
    const html = await form.text();
    expect(html).toContain('action="/login"');
    expect(html).toContain('type="password"');
    const post = (token: string, next = "/tasks") =>
      s.send("POST", "/login", {
        headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin" },
        body: new URLSearchParams({ token, next }).toString(),
      });
    const wrong = await post("nope");
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    expect(await wrong.text()).toContain("not the token");
    const ok = await post(TOKEN);
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/tasks");
    const cookie = ok.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^taskflow_session=v2\.[0-9a-f-]{36}\.\d+\.[\w-]+; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/);
    expect(cookie).not.toContain(TOKEN);
    const session = cookie.split(";")[0]!;
    expect((await s.send("GET", "/api/tasks", { headers: { cookie: session } })).status).toBe(200);
    // A proxy's Basic auth header does not hide the session; a wrong bearer token does not fall back to it.
    expect((await s.send("GET", "/api/tasks", { headers: { cookie: session, authorization: "Basic dTpw" } })).status).toBe(200);
    expect((await s.send("GET", "/api/tasks", { headers: { cookie: session, authorization: "Bearer wrong" } })).status).toBe(401);
    expect((await s.send("GET", "/api/tasks", { headers: { cookie: `taskflow_session=v2.${crypto.randomUUID()}.9999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA` } })).status).toBe(401);
    // An open redirect is refused: `next` stays on this site.
    expect((await post(TOKEN, "//evil.example/")).headers.get("location")).toBe("/");
    const out = await s.send("POST", "/logout", { headers: { cookie: session, "sec-fetch-site": "same-origin" } });
    expect(out.status).toBe(303);
    expect(out.headers.get("set-cookie")).toContain("Max-Age=0");
  });

  test("a state-changing request with the session cookie must come from this origin", async () => {
    const session = (await s.send("POST", "/login", {
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://localhost" },
      body: `token=${TOKEN}`,
    })).headers.get("set-cookie")!.split(";")[0]!;
    const cancel = (headers: Record<string, string>) => s.send("POST", `/api/tasks/${crypto.randomUUID()}/cancel`, { headers: { cookie: session, ...headers } });
    expect((await cancel({ "sec-fetch-site": "cross-site" })).status).toBe(403);
    // Same site is not same origin: another port on this host is another app.
    expect((await cancel({ "sec-fetch-site": "same-site" })).status).toBe(403);
    expect((await cancel({ origin: "http://evil.example" })).status).toBe(403);
    expect((await cancel({ origin: "http://localhost:9999" })).status).toBe(403);
    expect((await cancel({ origin: "null" })).status).toBe(403);
    expect((await cancel({})).status).toBe(403);
    expect((await cancel({ "sec-fetch-site": "same-origin" })).status).toBe(404);
    expect((await cancel({ origin: "http://localhost" })).status).toBe(404);
    // A bearer token is not ambient: no origin check.
    expect((await s.send("POST", `/api/tasks/${crypto.randomUUID()}/cancel`, { headers: bearer(TOKEN) })).status).toBe(404);
    // The forged sign-in (login CSRF) is refused too.
    const forged = await s.send("POST", "/login", {
      headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "cross-site" },
      body: `token=${TOKEN}`,
    });
    expect(forged.status).toBe(403);
  });
});

describe("without a token (loopback only)", () => {
  let s: SecuredApp;
  beforeAll(async () => {
    s = await openSecuredApp([]);
  });
  afterAll(() => s.close());

  test("everything is open to loopback names, as before", async () => {
    for (const origin of ["http://localhost", "http://127.0.0.1:8080", "http://[::1]:8080"]) {
      expect((await s.send("GET", "/api/tasks", { origin })).status).toBe(200);
    }
    expect((await s.send("GET", "/login")).status).toBe(303);
  });

  test("other Host names are refused (DNS rebinding), except /healthz", async () => {
    const r = await s.send("GET", "/api/tasks", { origin: "http://rebind.evil.example:8080" });
    expect(r.status).toBe(421);
    expect((await r.json()).error).toBe("misdirected_request");
    expect((await s.send("GET", "/healthz", { origin: "http://rebind.evil.example:8080" })).status).toBe(200);
  });

  test("a cross-site form post cannot submit or cancel tasks on an open instance", async () => {
    const before = await s.send("GET", "/api/tasks");
    expect((await before.json()).tasks).toEqual([]);
    const forged = await s.send("POST", "/api/tasks", {
      headers: { "content-type": "text/plain", "sec-fetch-site": "cross-site" },
      body: JSON.stringify({ name: "x", command: "touch /tmp/pwned" }),
    });
    expect(forged.status).toBe(403);
    expect((await s.send("POST", `/api/tasks/${crypto.randomUUID()}/cancel`, { headers: { origin: "http://evil.example" } })).status).toBe(403);
    // Scripts (curl) send neither header and are served.
    const curl = await s.send("POST", "/api/tasks", { headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "x", command: "true" }) });
    expect(curl.status).toBe(201);
  });
});

test("--insecure without a token serves any Host name (the operator opted in)", async () => {
  const s = await openSecuredApp(["--insecure"]);
  try {
    expect((await s.send("GET", "/api/workers", { origin: "http://scheduler.internal:8080" })).status).toBe(200);
  } finally {
    await s.close();
  }
});
