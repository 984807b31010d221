// A new embedded data folder: unpacked from the first-start template (what the binary
// carries: test/e2e/binary.test.ts starts one from an empty folder), or set up by a
// child process (`taskflow migrate` under Bun here) when there is no template, and the
// fallbacks when either fails.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { roleLogger, setupLogging } from "../log/logger.ts";
import { makeFirstStartTemplate } from "./build-first-start-template.ts";
import { openDatabase } from "./client.ts";
import { isNewDataDir, MEMORY_DATA_DIR } from "./data-dir.ts";
import { initialiseInChild, setUpNewDataDir } from "./first-start.ts";
import { templateTar, unpackTemplate } from "./first-start-template.ts";
import { MIGRATIONS, migrate, migrationsApplied } from "./migrate.ts";
import { rows } from "./sql.ts";

const logLines: string[] = [];
setupLogging({ format: "json", level: "debug", write: (line) => void logLines.push(line) });
const warnings = () => logLines.map((l) => JSON.parse(l) as { level: string; message: string }).filter((l) => l.level === "warning");
const root = mkdtempSync(join(tmpdir(), "taskflow-first-start-"));
let template: Blob;
beforeAll(async () => {
  template = await makeFirstStartTemplate();
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Recorded = { hash: string; created_at: string | number };
/** drizzle's bookkeeping rows, in the order they were written. */
async function recordedMigrations(db: Parameters<typeof migrate>[0]): Promise<[string, number][]> {
  const r = rows<Recorded>(await db.execute(sql`select hash, created_at from drizzle.__drizzle_migrations order by id`));
  return r.map((m) => [m.hash, Number(m.created_at)]);
}

/** Opens `dataDir`, hands its database to `body`, closes it. */
async function withFolder<T>(dataDir: string, body: (db: Parameters<typeof migrate>[0]) => Promise<T>): Promise<T> {
  const d = await openDatabase({ databaseUrl: null, dataDir });
  try {
    return await body(d.db);
  } finally {
    await d.close();
  }
}

test("a folder unpacked from the template opens as an existing one, every migration recorded as migrate() records it", async () => {
  const dataDir = join(root, "from-template");
  expect(await setUpNewDataDir(dataDir, roleLogger("db"), { inChild: false, template })).toBe(true);
  expect(isNewDataDir(dataDir)).toBe(false);
  expect(readdirSync(dataDir).filter((e) => e.startsWith("."))).toEqual([]);
  // The same rows as a database migrated one migration at a time at start.
  const migratedAtStart = await openDatabase({ databaseUrl: null, dataDir: MEMORY_DATA_DIR });
  let expected: [string, number][];
  try {
    await migrate(migratedAtStart.db);
    expected = await recordedMigrations(migratedAtStart.db);
  } finally {
    await migratedAtStart.close();
  }
  expect(expected).toEqual(MIGRATIONS.map((m) => [m.hash, m.folderMillis]));
  await withFolder(dataDir, async (db) => {
    expect(await recordedMigrations(db)).toEqual(expected);
    expect(await migrationsApplied(db)).toBe(true);
    expect(await migrate(db)).toBe(0);
  });
  expect(warnings()).toEqual([]);
}, 120_000);

test("an in-memory database starts from the template as PGlite loads it, every migration applied", async () => {
  const d = await openDatabase({ databaseUrl: null, dataDir: MEMORY_DATA_DIR, loadDataDir: await templateTar(template) });
  try {
    expect(await recordedMigrations(d.db)).toEqual(MIGRATIONS.map((m) => [m.hash, m.folderMillis]));
    expect(await migrate(d.db)).toBe(0);
  } finally {
    await d.close();
  }
}, 120_000);

test("a folder from an older template gets the newer migrations at start, as an upgrade does", async () => {
  const older = await makeFirstStartTemplate(MIGRATIONS.slice(0, -1));
  const dataDir = join(root, "older-template");
  expect(await setUpNewDataDir(dataDir, roleLogger("db"), { inChild: false, template: older })).toBe(true);
  await withFolder(dataDir, async (db) => {
    expect(await migrationsApplied(db)).toBe(false);
    expect(await migrate(db)).toBe(1);
    expect(await recordedMigrations(db)).toEqual(MIGRATIONS.map((m) => [m.hash, m.folderMillis]));
  });
}, 120_000);

test("an unpack cut short leaves a folder that is still new, and the next one completes it", async () => {
  const dataDir = join(root, "cut-short");
  // What a killed unpack leaves: its staging folder and some of the files, but no PG_VERSION.
  mkdirSync(join(dataDir, ".unpacking-1", "base"), { recursive: true });
  mkdirSync(join(dataDir, "base"));
  writeFileSync(join(dataDir, "base", "leftover"), "");
  expect(isNewDataDir(dataDir)).toBe(true);
  await unpackTemplate(template, dataDir);
  expect(readdirSync(dataDir).filter((e) => e.startsWith("."))).toEqual([]);
  expect(existsSync(join(dataDir, "base", "leftover"))).toBe(false);
  await withFolder(dataDir, async (db) => expect(await migrationsApplied(db)).toBe(true));
}, 120_000);

test("a template that cannot be unpacked is said so, and leaves the folder new and clean for the fallback", async () => {
  const dataDir = join(root, "bad-template");
  const before = warnings().length;
  expect(await setUpNewDataDir(dataDir, roleLogger("db"), { inChild: false, template: new Blob(["not a tar"]) })).toBe(false);
  expect(warnings().slice(before)[0]?.message).toContain(`unpacking the embedded database template into ${dataDir} failed (`);
  expect(isNewDataDir(dataDir)).toBe(true);
  expect(readdirSync(dataDir)).toEqual([]);
});

test("without a template, a child process initialises and migrates a new folder, which then opens as an existing one", async () => {
  const dataDir = join(root, "data");
  const before = warnings().length;
  expect(isNewDataDir(dataDir)).toBe(true);
  expect(await setUpNewDataDir(dataDir, roleLogger("db"), { inChild: true })).toBe(true);
  expect(isNewDataDir(dataDir)).toBe(false);
  await withFolder(dataDir, async (db) => expect(await migrationsApplied(db)).toBe(true));
  expect(warnings().slice(before)).toEqual([]);
}, 120_000);

test("when the child fails, it says why and leaves the work to the caller", async () => {
  // A file where the folder should be: the child cannot create the data folder.
  const blocker = join(root, "not-a-folder");
  writeFileSync(blocker, "");
  const dataDir = join(blocker, "data");
  const before = warnings().length;
  expect(await initialiseInChild(dataDir, roleLogger("db"))).toBe(false);
  const warning = warnings().slice(before)[0];
  expect(warning?.message).toContain(`initialising ${dataDir} in a child process failed (`);
  expect(warning?.message).toContain("not a directory");
}, 120_000);
