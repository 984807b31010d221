/**
 * Embedded-database snapshots the tests start from instead of running initdb and the
 * migrations again, kept in the temp folder and reused by later runs. A snapshot is
 * named by what makes it (PGlite's version, src/db/client.ts, and what the caller
 * adds: the migrations), and written under a temporary name, then renamed, so a test
 * process starting at the same time sees all of it or none.
 */
import { existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "../..");

/** Where the snapshot `kind` of these inputs lives: `taskflow-test-<kind>-<hash>` plus `suffix`. */
export function snapshotPath(kind: string, extra = "", suffix = ""): string {
  const pglite = JSON.parse(readFileSync(join(ROOT, "node_modules/@electric-sql/pglite/package.json"), "utf8")).version;
  const client = readFileSync(join(ROOT, "src/db/client.ts"), "utf8");
  const key = new Bun.CryptoHasher("sha256").update(`${pglite}|${extra}|${client}`).digest("hex").slice(0, 16);
  return join(tmpdir(), `taskflow-test-${kind}-${key}${suffix}`);
}

/** Makes `path` with `make(partialPath)` unless it exists; another process's finished copy wins. */
export async function makeOnce(path: string, make: (partial: string) => Promise<void>): Promise<void> {
  if (existsSync(path)) return;
  const partial = `${path}.${process.pid}.partial`;
  rmSync(partial, { recursive: true, force: true });
  await make(partial);
  try {
    renameSync(partial, path);
  } catch (err) {
    // Another process renamed its own copy first (a directory cannot be renamed over): keep that one.
    if (!existsSync(path)) throw err;
    rmSync(partial, { recursive: true, force: true });
  }
}
