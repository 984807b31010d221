/**
 * Requests while the database is away: a real HTTP server on real PostgreSQL,
 * reached through a TCP proxy the test cuts (a silent network: nothing is refused,
 * nothing answers, the worst case for a hang) or closes (connections refused).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { TcpProxy } from "../../test/chaos/tcp-proxy.ts";
import { createPostgresDatabase, TEST_DATABASE_URL } from "../../test/support/databases.ts";
import { waitFor } from "../../test/support/processes.ts";
import { parseConfig } from "../config/config.ts";
import { openDatabase, type Database } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { roleLogger } from "../log/logger.ts";
import { ChangeFeed } from "./live/change-feed.ts";
import { OutputFeed } from "./live/output-feed.ts";
import { DatabaseGate } from "./database-gate.ts";
import { buildHttpApp } from "./http-app.ts";
import { HttpServer } from "./http-server.ts";

const log = roleLogger("scheduler", "test");

describe("the gate's state", () => {
  test("a failed probe closes the gate once, and a later probe that answers opens it again", async () => {
    let answers = false;
    let probes = 0;
    const gate = new DatabaseGate(async () => {
      probes++;
      if (!answers) throw new Error("refused");
    }, log);
    await gate.start();
    let downs = 0;
    gate.onDown(() => downs++);
    gate.suspect();
    gate.suspect(); // one probe at a time
    await waitFor("the gate to close", () => gate.down, 2000, 5);
    expect(downs).toBe(1);
    // It probes again by itself while closed, and opens once the database answers.
    answers = true;
    await waitFor("the gate to open", () => !gate.down, 3000, 10);
    expect(probes).toBeGreaterThanOrEqual(2);
    expect(downs).toBe(1);
    await gate.stop();
  });
});

describe.skipIf(!TEST_DATABASE_URL)("answers while PostgreSQL is away [postgres]", () => {
  let proxy: TcpProxy;
  let database: Database;
  let gate: DatabaseGate;
  let server: HttpServer;
  let drop: () => Promise<void>;
  let base = "";

  beforeAll(async () => {
    const created = await createPostgresDatabase();
    drop = created.drop;
    const target = new URL(created.url);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    const viaProxy = new URL(created.url);
    viaProxy.port = String(proxy.port);
    database = await openDatabase({ databaseUrl: viaProxy.toString(), dataDir: "", onNotice: () => {} });
    await migrate(database.db);
    const { config } = parseConfig([], {});
    gate = new DatabaseGate((ms) => database.probe(ms), log);
    await gate.start();
    const app = buildHttpApp({ db: database.db, log, feed: new ChangeFeed(database, log), outputs: new OutputFeed(database), config, gate });
    server = new HttpServer(app, { host: "127.0.0.1", port: 0 }, log, { gate });
    await server.start();
    base = `http://127.0.0.1:${server.port}`;
  });

  afterAll(async () => {
    proxy.heal();
    await server?.stop();
    await gate?.stop();
    await database?.close().catch(() => {});
    await proxy?.stop();
    await drop?.();
  });

  async function submit(): Promise<{ status: number; ms: number; retryAfter: string | null; body: unknown }> {
    const t0 = performance.now();
    const r = await fetch(`${base}/api/tasks`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "during an outage", command: "true" }),
      signal: AbortSignal.timeout(15_000),
    });
    return { status: r.status, ms: performance.now() - t0, retryAfter: r.headers.get("retry-after"), body: await r.json() };
  }

  test("a silent network: the waiting submit gets 503 with Retry-After within seconds, the next ones at once; all is well after", async () => {
    expect((await submit()).status).toBe(201);
    proxy.cut();
    const first = await submit();
    // Measured here: ~2 s (a second before the gate looks, a second for its probe to time out).
    expect(first.status).toBe(503);
    expect(first.ms).toBeLessThan(5000);
    expect(first.retryAfter).toBe("2");
    expect(first.body).toEqual({ error: "unavailable", message: expect.any(String), details: [] });
    const next = await submit();
    expect(next.status).toBe(503);
    expect(next.ms).toBeLessThan(500);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    proxy.heal();
    await waitFor("submits to succeed again", async () => (await submit()).status === 201, 20_000, 200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  }, 60_000);

  test("a refused connection: 503 at once", async () => {
    await proxy.stop();
    try {
      const answers = [await submit(), await submit(), await submit()];
      expect(answers.map((a) => a.status)).toEqual([503, 503, 503]);
      expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(5000);
    } finally {
      await proxy.start(proxy.port);
    }
    await waitFor("submits to succeed again", async () => (await submit()).status === 201, 20_000, 200);
  }, 60_000);
});
