/**
 * Measures task submission through POST /api/tasks/batch on a real HTTP server:
 * `bun bench/batch-submit.ts [pglite|postgres] [total] [clients]`; postgres needs
 * TASKFLOW_TEST_DATABASE_URL (a fresh database is made and dropped). Prints tasks per second.
 */
import { openTestDatabase, type Backend } from "../test/support/databases.ts";
import { roleLogger } from "../src/log/logger.ts";
import { buildTestApp } from "../src/scheduler/http-test-client.ts";
import { HttpServer } from "../src/scheduler/http-server.ts";

const [backendArg, totalArg, clientsArg] = process.argv.slice(2);
const backend = (backendArg ?? "pglite") as Backend;
const total = Number(totalArg ?? 100_000);
const clients = Number(clientsArg ?? 8);
const BATCH = 1000;
const database = await openTestDatabase(backend);

const log = roleLogger("bench");
const server = new HttpServer(buildTestApp(database), { host: "127.0.0.1", port: 0 }, log);
await server.start();
const endpoint = `http://127.0.0.1:${server.port}/api/tasks/batch`;
const body = (n: number) =>
  JSON.stringify({ tasks: Array.from({ length: BATCH }, (_, i) => ({ name: `bench ${n}-${i}`, command: "true", env: { N: String(i) }, priority: i % 10 })) });

let next = 0;
async function client(): Promise<void> {
  while (next < total) {
    const n = next;
    next += BATCH;
    const r = await fetch(endpoint, { method: "POST", headers: { "content-type": "application/json" }, body: body(n) });
    if (r.status !== 201) throw new Error(`batch answered ${r.status}: ${await r.text()}`);
    await r.arrayBuffer();
  }
}

// Warm up (JIT, connection pool), then measure.
await client.call(null).catch(() => {});
next = 0;
const started = performance.now();
await Promise.all(Array.from({ length: clients }, client));
const seconds = (performance.now() - started) / 1000;
console.log(`${backend}: ${total} tasks in ${seconds.toFixed(2)} s with ${clients} clients = ${Math.round(total / seconds)} tasks/s`);
await server.stop();
await database.close();
