/**
 * Opens the database: PostgreSQL (postgres.js) when a URL is given, else embedded
 * PostgreSQL (PGlite) in a folder or in memory. Both give the same drizzle `Db`,
 * so every query function runs unchanged on either, plus LISTEN for change feeds.
 */
import { PGlite } from "@electric-sql/pglite";
import pgliteWasm from "@electric-sql/pglite/pglite.wasm" with { type: "file" };
import initdbWasm from "@electric-sql/pglite/initdb.wasm" with { type: "file" };
import pgliteData from "@electric-sql/pglite/pglite.data" with { type: "file" };
// pg_trgm (output search, drizzle/0005) as a file in the binary: PGlite's own contrib module points at node_modules.
// The package exports map does not list its extension bundles, hence the path into node_modules.
import pgTrgmBundle from "../../node_modules/@electric-sql/pglite/dist/pg_trgm.tar.gz" with { type: "file" };
import { pathToFileURL } from "node:url";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { existsSync, renameSync } from "node:fs";
import type { SQL } from "drizzle-orm";
import { PgDialect, type PgDatabase, type PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { mkdirSync } from "node:fs";
import postgres from "postgres";
import { isNewDataDir, MEMORY_DATA_DIR } from "./data-dir.ts";
import * as schema from "./schema/index.ts";

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  kind: "postgres" | "pglite";
  /** Calls `onMessage` for each NOTIFY on `channel`; resolves once listening. Returns a stop function. */
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
  /**
   * One round trip within `timeoutMs` on a connection of its own (never queued behind
   * the pool's work), to tell a database that is away from one that is busy.
   */
  probe(timeoutMs: number): Promise<void>;
  /** PGlite only: the whole data directory as a tar (what `OpenOptions.loadDataDir` starts from). */
  dumpDataDir?(): Promise<Blob>;
  close(): Promise<void>;
}

export interface OpenOptions {
  databaseUrl: string | null;
  dataDir: string;
  /** postgres.js pool size. */
  poolSize?: number;
  onNotice?: (message: string) => void;
  /**
   * PGlite in memory only: start from this dumped data directory (`dumpDataDir()`)
   * instead of a new one. The tests start each file from a migrated copy, so neither
   * initdb nor the migrations run per file (test/support/databases.ts).
   */
  loadDataDir?: Blob;
}

/** Renders drizzle `sql` to text and parameters; the same for both drivers (no casing rules). */
const dialect = new PgDialect();

/**
 * Runs `query` as a prepared statement. On PostgreSQL, postgres.js parses it once
 * per connection and from then on only binds and executes it, in one round trip
 * (and PostgreSQL may reuse one generic plan instead of planning every call).
 * `db.execute()` cannot: drizzle's postgres-js session passes `prepare: false`, so
 * every call is parsed and planned again, after an extra round trip in which
 * postgres.js asks the server for the parameter types. On PGlite this is
 * `db.execute()`. The answer has the same shape as `db.execute()`'s (read it
 * through `rows()`).
 *
 * Only for statement texts that do not vary from call to call (lists as one
 * array or JSON parameter, never `in ($1, …, $n)`): postgres.js keeps each
 * prepared text for the life of the connection. And only where a plan made
 * without the parameter values is as good (a LIMIT belongs in the text; see
 * claim-due-tasks.ts).
 */
export function executePrepared(db: Pick<Db, "_">, query: SQL): Promise<unknown> {
  // Any name makes the session prepare; postgres.js names the statement after its text itself.
  return db._.session.prepareQuery(dialect.sqlToQuery(query), undefined, "taskflow", false).execute();
}

/**
 * PGlite reads an extension bundle with fs streams, which cannot open files inside a
 * compiled binary: there, the bundle is copied out to the temp folder once (named by
 * its content hash, so a new release never reads an old copy).
 */
async function extensionBundle(path: string): Promise<URL> {
  if (!path.includes("/$bunfs/")) return pathToFileURL(path);
  const out = join(tmpdir(), `taskflow-${basename(path)}`);
  if (!existsSync(out)) {
    const partial = `${out}.${process.pid}.tmp`;
    await Bun.write(partial, Bun.file(path));
    renameSync(partial, out);
  }
  return pathToFileURL(out);
}

/**
 * PGlite runs PostgreSQL in single-user mode: no checkpointer, so a checkpoint comes
 * only when the WAL reaches max_wal_size, and the data directory carries up to that
 * much WAL (1 GB by default) whatever retention prunes. 64 MB keeps it small.
 */
const PGLITE_WAL_LIMITS = ["-c", "max_wal_size=64MB", "-c", "min_wal_size=32MB"];
/**
 * PGlite's PostgreSQL lives in WebAssembly memory, which never shrinks: the 128 MB
 * shared_buffers default alone took the idle demo from ~150 to ~280 MB resident. Its
 * files are read through the operating system's page cache anyway, so a small buffer
 * pool costs the embedded database little (bench/README.md, footprint). VACUUM after a
 * large prune would grow the memory by maintenance_work_mem (64 MB) for good: 16 MB.
 */
const PGLITE_MEMORY = ["-c", "shared_buffers=16MB", "-c", "maintenance_work_mem=16MB"];
const POOL_SIZE_DEFAULT = 10;

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  return opts.databaseUrl ? openPostgres(opts.databaseUrl, opts) : openPglite(opts.dataDir, opts.loadDataDir);
}

function openPostgres(url: string, opts: OpenOptions): Database {
  const client = postgres(url, {
    max: opts.poolSize ?? POOL_SIZE_DEFAULT,
    onnotice: (n) => opts.onNotice?.(String(n.message)),
    // Keep the pool from holding on to broken sockets after a database restart.
    idle_timeout: 60,
    connect_timeout: 10,
    // Reconnect within a second after the database comes back: the driver's own backoff
    // grows to 10–20 s, long enough for workers to be declared dead meanwhile.
    backoff: (attempt: number) => (0.5 + Math.random() / 2) * Math.min(3 ** attempt / 100, 1),
  });
  const probe = new PostgresProbe(url);
  return {
    db: drizzlePostgres(client, { schema }),
    kind: "postgres",
    async listen(channel, onMessage) {
      // postgres.js re-listens by itself after the connection drops.
      const sub = await client.listen(channel, onMessage);
      return () => sub.unlisten();
    },
    probe: (timeoutMs) => probe.run(timeoutMs),
    close: async () => {
      await probe.close();
      await client.end({ timeout: 5 });
    },
  };
}

/**
 * The probe's own single connection, kept open while probes succeed: a probe comes
 * when a request has waited a second, often on a loaded machine, and a fresh connect
 * there (a backend to fork, authentication) can take the whole deadline by itself
 * and close the gate on a database that is only busy. A probe that times out drops
 * it, so the next one connects afresh (no reconnect backoff, no connect left hanging
 * from the last try); one that fails on a kept connection (the server restarted
 * since, and closed it) tries once more on a fresh one within its deadline. It skips
 * postgres.js's array-type query on connect: `select 1` needs none, and on a loaded
 * machine that catalogue query is a second round trip inside the probe's deadline.
 */
export const PROBE_APPLICATION_NAME = "taskflow database gate";

class PostgresProbe {
  #client: postgres.Sql | null = null;

  constructor(private readonly url: string) {}

  async run(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const kept = this.#client !== null;
    try {
      await this.#once(timeoutMs);
    } catch (err) {
      if (!kept || (err as Error).message.startsWith(NO_ANSWER) || Date.now() >= deadline) throw err;
      await this.#once(deadline - Date.now());
    }
  }

  async #once(timeoutMs: number): Promise<void> {
    const client = (this.#client ??= postgres(this.url, {
      max: 1, connect_timeout: Math.ceil(timeoutMs / 1000) + 1, idle_timeout: 0, fetch_types: false, onnotice: () => {},
      connection: { application_name: PROBE_APPLICATION_NAME },
    }));
    let timer: Timer | undefined;
    const query = client`select 1`.execute();
    query.catch(() => {});
    try {
      await Promise.race([query, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${NO_ANSWER} ${timeoutMs} ms`)), timeoutMs)))]);
    } catch (err) {
      if (this.#client === client) this.#client = null;
      void client.end({ timeout: 0 }).catch(() => {});
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.#client?.end({ timeout: 1 }).catch(() => {});
    this.#client = null;
  }
}

const NO_ANSWER = "no answer within";

/**
 * `TASKFLOW_PGLITE_TEMPLATE`: a tarball of a freshly initialised data directory (as
 * `Database.dumpDataDir()` writes it) that a new embedded database is unpacked from
 * instead of running initdb, ~2.5 s of every first start here and 6× the unpacking.
 * The test suite sets it (test/support/preload.ts): it starts hundreds of them.
 */
function initdbTemplate(): Blob | undefined {
  const path = process.env.TASKFLOW_PGLITE_TEMPLATE;
  return path && existsSync(path) ? Bun.file(path) : undefined;
}

async function createPglite(dataDir: string | undefined, loadDataDir: Blob | undefined, needsInitdb: boolean): Promise<PGlite> {
  // Files come from the binary (or node_modules under `bun run`): nothing beside the executable.
  // initdb's module is compiled only when initdb will run: an opened data dir never calls it.
  const [pgliteWasmModule, initdbWasmModule] = await Promise.all([
    WebAssembly.compile(await Bun.file(pgliteWasm).arrayBuffer()),
    needsInitdb ? WebAssembly.compile(await Bun.file(initdbWasm).arrayBuffer()) : undefined,
  ]);
  return PGlite.create({
    dataDir,
    loadDataDir,
    pgliteWasmModule,
    initdbWasmModule,
    fsBundle: Bun.file(pgliteData),
    startParams: [...PGlite.defaultStartParams, ...PGLITE_WAL_LIMITS, ...PGLITE_MEMORY],
    extensions: { pg_trgm: { name: "pg_trgm", setup: async () => ({ bundlePath: await extensionBundle(pgTrgmBundle) }) } },
  });
}

async function openPglite(dataDir: string, loadDataDir?: Blob): Promise<Database> {
  const inMemory = dataDir === MEMORY_DATA_DIR;
  if (loadDataDir && !inMemory) throw new Error("loadDataDir needs the in-memory data dir (memory://)");
  if (!inMemory) mkdirSync(dataDir, { recursive: true });
  const isNew = inMemory || isNewDataDir(dataDir);
  const initialState = loadDataDir ?? (isNew ? initdbTemplate() : undefined);
  const client = await createPglite(inMemory ? undefined : dataDir, initialState, isNew && !initialState);
  // initdb runs in a WebAssembly instance of its own (~600 MB at its peak on a first
  // start) that nothing references once PGlite is up: collect it now, not whenever an
  // idle demo's heap next grows.
  Bun.gc(true);
  return {
    db: drizzlePglite(client, { schema }) as unknown as Db,
    kind: "pglite",
    async listen(channel, onMessage) {
      const unlisten = await client.listen(channel, onMessage);
      return unlisten;
    },
    // In this process: never unreachable.
    probe: async () => {},
    dumpDataDir: () => client.dumpDataDir("none"),
    close: () => client.close(),
  };
}
