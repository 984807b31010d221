import { afterAll, beforeAll, expect, test } from "bun:test";
import { openSecuredApp, TOKEN, type SecuredApp } from "../../../test/security/support.ts";
import { parseListQuery } from "../tasks/list-query.ts";

let s: SecuredApp;
let doc: any;
beforeAll(async () => {
  s = await openSecuredApp([`--token=${TOKEN}`]);
  const r = await s.send("GET", "/openapi.json", { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(r.status).toBe(200);
  doc = await r.json();
});
afterAll(() => s.close());

/** Every operation of the document as [`METHOD /path`, operation]. */
const operations = () =>
  Object.entries<Record<string, any>>(doc.paths).flatMap(([path, ops]) => Object.entries<any>(ops).map(([m, op]) => [`${m.toUpperCase()} ${path}`, op] as const));
/** A schema with its `$ref` followed (one level: components do not point at components). */
const resolve = (schema: any) => (schema?.$ref ? doc.components.schemas[schema.$ref.replace("#/components/schemas/", "")] : schema);
const jsonSchemaOf = (op: any, status: string) => resolve(op.responses[status]?.content?.["application/json"]?.schema);

test("an OpenAPI 3.1 document for taskflow with bearer auth and the error shape", () => {
  expect(doc.openapi).toBe("3.1.0");
  expect(doc.info.title).toBe("taskflow");
  expect(doc.components.securitySchemes.bearerAuth).toEqual(expect.objectContaining({ type: "http", scheme: "bearer" }));
  expect(doc.components.schemas.Error.required).toEqual(["error", "message", "details"]);
  expect(doc.paths["/healthz"].get.security).toEqual([]);
  expect(doc.paths["/api/tasks"].get.responses["401"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Error" });
});

test("every route the router has is documented, with a request body where one is read and answers for each", () => {
  const documented = new Set(operations().map(([where]) => where));
  for (const route of s.app.routes as { method: string; path: string; hooks?: { detail?: { hide?: boolean } } }[]) {
    // Hidden: HTML pages and forms of the dashboard, and this document itself; static files are left out by the generator.
    if (route.hooks?.detail?.hide || route.path.includes(".")) continue;
    expect(documented).toContain(`${route.method} ${route.path.replace(/:([^/]+)/g, "{$1}")}`);
  }
  for (const [where, op] of operations()) {
    const path = where.split(" ")[1]!;
    // A concrete status (no 2XX or default placeholder); a 2xx says what it carries, a 3xx is a redirect.
    const success = Object.keys(op.responses).filter((k) => /^[23]\d\d$/.test(k));
    expect({ where, success: success.length > 0, generic: Object.keys(op.responses).some((k) => !/^\d{3}$/.test(k)) }).toEqual({ where, success: true, generic: false });
    for (const status of success.filter((k) => k.startsWith("2"))) {
      const content = Object.values<any>(op.responses[status].content ?? {});
      expect({ where, status, schema: content.length > 0 && content.every((c) => c.schema) }).toEqual({ where, status, schema: true });
    }
    for (const [status, answer] of Object.entries<any>(op.responses)) expect({ where, status, description: typeof answer.description }).toEqual({ where, status, description: "string" });
    for (const name of path.match(/\{([^}]+)\}/g) ?? []) {
      expect({ where, param: op.parameters?.some((p: any) => p.in === "path" && `{${p.name}}` === name) }).toEqual({ where, param: true });
    }
    if (path.startsWith("/api/") && ["POST", "PATCH"].includes(where.split(" ")[0]!) && !/\/(cancel|retry|pause|resume|drain|run)$/.test(path)) {
      expect({ where, body: Boolean(op.requestBody?.content?.["application/json"]?.schema) }).toEqual({ where, body: true });
      expect(op.responses["422"]).toBeDefined();
    }
  }
});

test("the JSON API documents its success bodies as object schemas, its errors with the error shape", () => {
  for (const [where, op] of operations()) {
    const path = where.split(" ")[1]!;
    if (!path.startsWith("/api/") && !["/healthz", "/readyz"].includes(path)) continue;
    if (path === "/api/events") continue; // text/event-stream, below
    for (const status of Object.keys(op.responses)) {
      const schema = jsonSchemaOf(op, status);
      // A route may answer one of several shapes (the batch's lean answer): each of them an object.
      for (const shape of schema?.anyOf ? schema.anyOf.map(resolve) : [schema]) expect({ where, status, type: shape?.type }).toEqual({ where, status, type: "object" });
      if (Number(status) >= 400) expect({ where, status, ref: op.responses[status].content["application/json"].schema.$ref }).toEqual({ where, status, ref: "#/components/schemas/Error" });
    }
  }
  const task = doc.components.schemas.Task;
  expect(Object.keys(task.properties)).toEqual(expect.arrayContaining(["id", "status", "attempt", "run_at", "schedule_id", "finished_at"]));
  expect(task.properties.status.anyOf.map((s: any) => s.const)).toContain("cancelled");
  expect(Object.keys(jsonSchemaOf(doc.paths["/api/tasks/{id}"].get, "200").properties)).toEqual(expect.arrayContaining(["id", "attempts", "events"]));
  expect(jsonSchemaOf(doc.paths["/api/tasks"].get, "200").required).toEqual(["tasks", "next_cursor"]);
  expect(Object.keys(jsonSchemaOf(doc.paths["/api/schedules/{id}"].get, "200").properties)).toEqual(expect.arrayContaining(["cron", "next_runs", "task"]));
  expect(jsonSchemaOf(doc.paths["/api/workers"].get, "200").properties.workers.items).toEqual({ $ref: "#/components/schemas/Worker" });
  for (const path of ["/api/tasks/{id}/cancel", "/api/tasks/{id}/retry"]) expect(doc.paths[path].post.responses["409"]).toBeDefined();
  expect(doc.paths["/api/tasks"].get.responses["422"]).toBeDefined();
  expect(doc.paths["/api/tasks"].post.responses["200"]).toBeDefined();
  const batch = doc.paths["/api/tasks/batch"].post;
  expect(batch.parameters).toEqual([expect.objectContaining({ name: "Prefer", in: "header", required: false })]);
  expect(jsonSchemaOf(batch, "201").anyOf).toEqual([{ $ref: "#/components/schemas/TaskBatch" }, { $ref: "#/components/schemas/TaskBatchIds" }]);
  expect(batch.responses["201"].headers["Preference-Applied"]).toBeDefined();
});

test("GET /api/tasks documents exactly the query parameters the list reads", () => {
  const read = new Set<string>();
  class Recording extends URLSearchParams {
    override get(name: string) {
      read.add(name);
      return super.get(name);
    }
    override getAll(name: string) {
      read.add(name);
      return super.getAll(name);
    }
    override has(name: string) {
      read.add(name);
      return super.has(name);
    }
  }
  parseListQuery(new Recording());
  const params = doc.paths["/api/tasks"].get.parameters;
  expect(params.filter((p: any) => p.in === "query").map((p: any) => p.name).sort()).toEqual([...read].sort());
  expect(params.find((p: any) => p.name === "limit").schema).toEqual(expect.objectContaining({ type: "integer", maximum: 500 }));
});

test("every $ref points at a component", () => {
  const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
  expect(refs.length).toBeGreaterThan(0);
  for (const ref of new Set(refs)) expect(doc.components.schemas).toHaveProperty(ref.slice(8, -1).replace("#/components/schemas/", ""));
});

test("the observability routes document their answers", () => {
  const metrics = jsonSchemaOf(doc.paths["/api/metrics"].get, "200");
  expect(Object.keys(metrics.properties)).toEqual(expect.arrayContaining(["tasks", "workers", "throughput", "queue_lag_seconds", "totals", "retention"]));
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
