/**
 * A postgres.js connection ended while it is still starting up. Every new
 * connection first asks the server for its array types (fetch_types) before it runs
 * the query that opened it; postgres.js 3.4.9 awaits that internal query in a
 * promise nobody holds (porsager/postgres#1192, #1205), so a failure there (the pool
 * or probe ended with a timeout: CONNECTION_DESTROYED; a reset socket) was an
 * unhandled rejection, and Bun exits on one. A loaded machine makes that window
 * long: it is how a scheduler died after its database gate's probe timed out.
 *
 * The proxy here stalls every answer once the client has sent the type query, so
 * the end lands in that window every time.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { createPostgresDatabase, TEST_DATABASE_URL } from "../../test/support/databases.ts";
import { ForwardingProxy } from "../../test/support/forwarding-proxy.ts";
import { waitFor } from "../../test/support/processes.ts";
import { openDatabase } from "./client.ts";

/** Forwards to PostgreSQL, but holds back the server's answers on a connection once its client asked for pg_type. */
function typeQueryStall(target: string): { proxy: ForwardingProxy; stalled: () => number } {
  let stalled = 0;
  const proxy = ForwardingProxy.for(target, () => {
    let stall = false;
    return {
      up: (chunk) => {
        if (!stall && chunk.includes("pg_catalog.pg_type")) (stall = true), stalled++;
      },
      down: () => !stall,
    };
  });
  return { proxy, stalled: () => stalled };
}

describe.skipIf(!TEST_DATABASE_URL)("a connection ended while it fetches its types [postgres]", () => {
  let proxy: ForwardingProxy;
  let stalled: () => number;
  let url: string;
  let drop: () => Promise<void>;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    const created = await createPostgresDatabase();
    drop = created.drop;
    ({ proxy, stalled } = typeQueryStall(created.url));
    await proxy.start();
    url = proxy.urlThrough(created.url);
    process.on("unhandledRejection", onUnhandled);
  });

  afterAll(async () => {
    process.off("unhandledRejection", onUnhandled);
    await proxy?.stop();
    await drop?.();
  });

  afterEach(() => {
    unhandled.length = 0;
  });

  /** Lets a rejection nobody handles reach the process, then returns what did. */
  async function unhandledAfterSettling(): Promise<string[]> {
    await waitFor("the proxied connections to close", () => proxy.open === 0, 5000, 5);
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    return unhandled.map((e) => String((e as { code?: string }).code ?? e));
  }

  test("a pool ended with timeout 0 rejects the waiting query and leaves nothing unhandled", async () => {
    const client = postgres(url, { max: 1, onnotice: () => {} });
    const stalledBefore = stalled();
    const query = client`select 1`.execute();
    const outcome = query.then(
      () => "answered",
      (err: { code?: string }) => err.code,
    );
    await waitFor("the type query to stall", () => stalled() > stalledBefore, 5000, 5);
    await client.end({ timeout: 0 });
    expect(await outcome).toBe("CONNECTION_DESTROYED");
    expect(await unhandledAfterSettling()).toEqual([]);
  });

  test("the gate's probe needs no type query, so a stalled catalogue cannot time it out", async () => {
    const database = await openDatabase({ databaseUrl: url, dataDir: "" });
    const stalledBefore = stalled();
    try {
      await database.probe(5000);
      expect(stalled()).toBe(stalledBefore);
    } finally {
      await database.close();
    }
    expect(await unhandledAfterSettling()).toEqual([]);
  });
});
