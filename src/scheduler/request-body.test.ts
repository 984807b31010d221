import { afterAll, beforeAll, expect, test } from "bun:test";
import { describeEachBackend } from "../../test/support/databases.ts";
import { roleLogger } from "../log/logger.ts";
import { HttpServer, MAX_BODY_BYTES } from "./http-server.ts";
import { isJsonContentType } from "./request-body.ts";
import { buildTestApp, SchedulerTestApp } from "../../test/support/scheduler-app.ts";

test("JSON content types", () => {
  for (const t of ["application/json", "Application/JSON; charset=utf-8", "application/merge-patch+json"]) expect(isJsonContentType(t)).toBe(true);
  for (const t of [null, "", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/json"]) {
    expect(isJsonContentType(t)).toBe(false);
  }
});

describeEachBackend("request bodies over 1 MiB on a real server", (backend) => {
  let api: SchedulerTestApp;
  let server: HttpServer;
  let base: string;
  beforeAll(async () => {
    api = await SchedulerTestApp.open(backend);
    const log = roleLogger("scheduler", "test");
    server = new HttpServer(buildTestApp(api.database), { host: "127.0.0.1", port: 0 }, log);
    await server.start();
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server.stop();
    await api.close();
  });

  /** A valid task body padded with env values to `bytes` bytes. */
  function paddedTask(bytes: number): string {
    const head = JSON.stringify({ name: "big", command: "true", env: { PAD: "" } });
    return head.replace('"PAD":""', `"PAD":"${"x".repeat(bytes - head.length)}"`);
  }

  async function expect413(res: Response) {
    expect(res.status).toBe(413);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await res.json()).toEqual({ error: "payload_too_large", message: expect.stringContaining(String(MAX_BODY_BYTES)), details: [] });
  }

  test("a body with Content-Length over the limit gets a JSON 413, and nothing is written", async () => {
    const res = await fetch(`${base}/api/tasks`, { method: "POST", headers: { "content-type": "application/json" }, body: paddedTask(MAX_BODY_BYTES + 1) });
    await expect413(res);
    // Far over the limit too (Bun's own limit would answer without a body).
    await expect413(await fetch(`${base}/api/tasks`, { method: "POST", headers: { "content-type": "application/json" }, body: "x".repeat(5 * MAX_BODY_BYTES) }));
    expect(await api.count("tasks")).toBe(0);
  });

  test("a chunked body (no Content-Length) over the limit gets a JSON 413", async () => {
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent >= 3 * MAX_BODY_BYTES) return c.close();
        sent += chunk.length;
        c.enqueue(chunk);
      },
    });
    const res = await fetch(`${base}/api/tasks`, { method: "POST", headers: { "content-type": "application/json" }, body: stream, duplex: "half" } as RequestInit);
    await expect413(res);
    expect(await api.count("tasks")).toBe(0);
  });

  test("a body of exactly the limit is read (and judged on its content)", async () => {
    const body = paddedTask(MAX_BODY_BYTES);
    expect(Buffer.byteLength(body)).toBe(MAX_BODY_BYTES);
    const res = await fetch(`${base}/api/tasks`, { method: "POST", headers: { "content-type": "application/json" }, body });
    // The env value is over the env cap: a 422 about /env proves the whole body was read.
    expect(res.status).toBe(422);
    expect((await res.json()).details.map((d: { path: string }) => d.path)).toEqual(["/env"]);
  });

  test("a small chunked JSON body works", async () => {
    const stream = new Blob([JSON.stringify({ name: "chunked", command: "true" })]).stream();
    const res = await fetch(`${base}/api/tasks`, { method: "POST", headers: { "content-type": "application/json" }, body: stream, duplex: "half" } as RequestInit);
    expect(res.status).toBe(201);
  });
});
