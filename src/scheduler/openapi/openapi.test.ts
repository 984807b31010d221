import { afterAll, beforeAll, expect, test } from "bun:test";
import { openSecuredApp, TOKEN, type SecuredApp } from "../../../test/security/support.ts";

let s: SecuredApp;
let doc: any;
beforeAll(async () => {
  s = await openSecuredApp([`--token=${TOKEN}`]);
  const r = await s.send("GET", "/openapi.json", { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(r.status).toBe(200);
  doc = await r.json();
});
afterAll(() => s.close());

test("an OpenAPI 3.1 document for taskflow with bearer auth and the error shape", () => {
  expect(doc.openapi).toBe("3.1.0");
  expect(doc.info.title).toBe("taskflow");
  expect(doc.components.securitySchemes.bearerAuth).toEqual(expect.objectContaining({ type: "http", scheme: "bearer" }));
  expect(doc.components.schemas.Error.required).toEqual(["error", "message", "details"]);
  expect(doc.paths["/healthz"].get.security).toEqual([]);
  expect(doc.paths["/api/tasks"].get.responses["401"]).toBeDefined();
});

test("every route the router has is documented, with a request body where one is read and answers for each", () => {
  const documented = new Set<string>();
  for (const [path, ops] of Object.entries<Record<string, any>>(doc.paths)) for (const m of Object.keys(ops)) documented.add(`${m.toUpperCase()} ${path}`);
  for (const route of s.app.routes as { method: string; path: string; hooks?: { detail?: { hide?: boolean } } }[]) {
    // Hidden: HTML pages and forms of the dashboard, and this document itself; static files are left out by the generator.
    if (route.hooks?.detail?.hide || route.path.includes(".")) continue;
    expect(documented).toContain(`${route.method} ${route.path.replace(/:([^/]+)/g, "{$1}")}`);
  }
  for (const [path, ops] of Object.entries<Record<string, any>>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(ops)) {
      const where = `${method} ${path}`;
      expect({ where, success: Object.keys(op.responses).some((k) => /^[23]/.test(k)) }).toEqual({ where, success: true });
      if (path.startsWith("/api/") && ["post", "patch"].includes(method) && !/\/(cancel|retry)$/.test(path)) {
        expect({ where, body: Boolean(op.requestBody?.content?.["application/json"]?.schema) }).toEqual({ where, body: true });
        expect(op.responses["422"]).toBeDefined();
      }
    }
  }
});

test("the observability routes document their answers", () => {
  const metrics = doc.paths["/api/metrics"].get.responses["200"].content["application/json"].schema;
  expect(Object.keys(metrics.properties)).toEqual(expect.arrayContaining(["tasks", "workers", "throughput", "queue_lag_seconds", "totals"]));
  expect(doc.paths["/metrics"].get.responses["200"].content["text/plain"]).toBeDefined();
  expect(doc.paths["/api/events"].get.responses["200"].content["text/event-stream"]).toBeDefined();
  expect(doc.paths["/api/events"].get.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: "last-event-id", in: "header" })]));
});

test("no docs UI that would load scripts from a CDN", async () => {
  for (const path of ["/openapi", "/swagger", "/docs"]) {
    const r = await s.send("GET", path, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(r.status).toBe(404);
  }
  expect(JSON.stringify(doc)).not.toMatch(/cdn\.jsdelivr|unpkg\.com/);
});
