/**
 * The embedded database's folder, as seen before anything opens it: whether it is new,
 * and the line that says what opening it is about to do. Kept free of the database
 * modules, so main.ts can say it before loading them.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";

/** `--data-dir` for an embedded database that keeps nothing. */
export const MEMORY_DATA_DIR = "memory://";

/** True when `dataDir` holds no initialised database yet (initdb writes PG_VERSION first; a template unpack, last). */
export function isNewDataDir(dataDir: string): boolean {
  return !existsSync(join(dataDir, "PG_VERSION"));
}

/** What opening the database is about to do, in words; the URL is never logged (it may hold a password). */
export function openingMessage(opts: { databaseUrl: string | null; dataDir: string }): string {
  if (opts.databaseUrl) return "connecting to PostgreSQL…";
  if (opts.dataDir === MEMORY_DATA_DIR) return "initialising an in-memory embedded database (a few seconds; nothing is kept)…";
  if (isNewDataDir(opts.dataDir)) return `initialising the embedded database in ${opts.dataDir} (first start, a few seconds)…`;
  return `opening the embedded database in ${opts.dataDir}…`;
}
