/**
 * Test databases: embedded PGlite always, and real PostgreSQL as well when
 * TASKFLOW_TEST_DATABASE_URL is set. A migrated PGlite starts from a snapshot made
 * once per set of migrations (openMigratedPglite). Each PostgreSQL test database is fresh (created
 * from the server's template, migrated, dropped at close), so files never interfere.
 */
import { describe } from "bun:test";
import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { openDatabase, type Database } from "../../src/db/client.ts";
import { migrate, MIGRATIONS } from "../../src/db/migrate.ts";
import { makeOnce, snapshotPath } from "./pglite-snapshots.ts";
import { DATA_DIR_COPY_PREFIX } from "./processes.ts";

export type Backend = "pglite" | "postgres";

export const TEST_DATABASE_URL = process.env.TASKFLOW_TEST_DATABASE_URL || null;

/** The backends this run tests against. */
export function backends(): Backend[] {
  return TEST_DATABASE_URL ? ["pglite", "postgres"] : ["pglite"];
}

export interface TestDatabase extends Database {
  /** A postgres:// URL for other processes (postgres backend only). */
  url: string | null;
}

/** Makes a fresh, empty database on a PostgreSQL server (default: the test server) and returns its URL and a drop function. */
export async function createPostgresDatabase(serverUrl = TEST_DATABASE_URL): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!serverUrl) throw new Error("TASKFLOW_TEST_DATABASE_URL is not set");
  const name = `taskflow_t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const a = postgres(serverUrl, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

/** Opens a fresh database of the given backend; `migrated` (default true) applies migrations. */
export async function openTestDatabase(backend: Backend, opts: { migrated?: boolean } = {}): Promise<TestDatabase> {
  let database: Database;
  let url: string | null = null;
  let drop = async () => {};
  if (backend === "postgres") {
    const created = await createPostgresDatabase();
    url = created.url;
    drop = created.drop;
    database = await openDatabase({ databaseUrl: url, dataDir: "", onNotice: () => {} });
  } else {
    database = opts.migrated === false ? await openDatabase({ databaseUrl: null, dataDir: "memory://" }) : await openMigratedPglite();
  }
  if (opts.migrated !== false) await migrate(database.db);
  return {
    ...database,
    url,
    close: async () => {
      await database.close();
      await drop();
    },
  };
}

/**
 * A migrated in-memory PGlite, started from a snapshot in the temp folder: initdb and
 * the migrations run once per set of migrations (pglite-snapshots.ts), not once per
 * test file; migrate() afterwards finds nothing to do.
 */
async function openMigratedPglite(): Promise<Database> {
  const snapshot = snapshotPath("pglite", migrationsKey(), ".tar");
  await makeOnce(snapshot, async (partial) => {
    const database = await openDatabase({ databaseUrl: null, dataDir: "memory://" });
    await migrate(database.db);
    await Bun.write(partial, await database.dumpDataDir!());
    await database.close();
  });
  return openDatabase({ databaseUrl: null, dataDir: "memory://", loadDataDir: Bun.file(snapshot) });
}

const migrationsKey = () => MIGRATIONS.map((m) => `${m.folderMillis}:${m.hash}`).join(",");

/**
 * `--data-dir=` a fresh folder holding a migrated embedded database, for a taskflow
 * process in a test whose subject is not the embedded database's first start: the
 * process opens it instead of making a database in memory:// and migrating it (the
 * migrations took 2 s of a start on this loaded machine, initdb before
 * TASKFLOW_PGLITE_TEMPLATE 20 s). Copied from a template made once per set of
 * migrations in the temp folder. startTaskflow() removes the copy when the process
 * started on it exits (bun test runs no exit handlers, so the test process cannot).
 */
export async function migratedDataDirFlag(): Promise<string> {
  const template = snapshotPath("datadir", migrationsKey());
  await makeOnce(template, async (partial) => {
    const database = await openDatabase({ databaseUrl: null, dataDir: partial });
    await migrate(database.db);
    await database.close();
  });
  const copy = mkdtempSync(join(tmpdir(), DATA_DIR_COPY_PREFIX));
  cpSync(template, copy, { recursive: true });
  return `--data-dir=${copy}`;
}

/** Registers `body` once per backend, as `describe("name [pglite]")` and `describe("name [postgres]")`. */
export function describeEachBackend(name: string, body: (backend: Backend) => void): void {
  for (const backend of backends()) describe(`${name} [${backend}]`, () => body(backend));
}
