/** The database gate's probe (client.ts) on a real PostgreSQL: a kept connection, and a fresh one after a restart. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { createPostgresDatabase, TEST_DATABASE_URL } from "../../test/support/databases.ts";
import { openDatabase, PROBE_APPLICATION_NAME, type Database } from "./client.ts";

describe.skipIf(!TEST_DATABASE_URL)("the database gate's probe [postgres]", () => {
  let database: Database;
  let admin: postgres.Sql;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const created = await createPostgresDatabase();
    drop = created.drop;
    database = await openDatabase({ databaseUrl: created.url, dataDir: "" });
    admin = postgres(created.url, { max: 1, onnotice: () => {} });
  });

  afterAll(async () => {
    await database?.close();
    await admin?.end();
    await drop?.();
  });

  /** Backend pids of the probe's connections to this database. */
  const probePids = async () =>
    (await admin`select pid from pg_stat_activity where datname = current_database() and application_name = ${PROBE_APPLICATION_NAME}`).map((r) => Number(r.pid));

  test("probes in a row share one kept connection: a probe on a loaded machine need not connect", async () => {
    await database.probe(5000);
    const [first] = await probePids();
    await database.probe(5000);
    await database.probe(5000);
    expect(await probePids()).toEqual([first!]);
  });

  test("a kept connection the server has closed (a restart) does not fail the probe: it answers on a fresh one", async () => {
    await database.probe(5000);
    const [old] = await probePids();
    await admin`select pg_terminate_backend(${old!}::int)`;
    await database.probe(5000);
    const now = await probePids();
    expect(now).toHaveLength(1);
    expect(now[0]).not.toBe(old!);
  });
});
