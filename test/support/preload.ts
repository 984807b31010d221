/**
 * Runs once before the tests of a `bun test` process: initialises one embedded
 * database (or finds the one an earlier run made) and points TASKFLOW_PGLITE_TEMPLATE at it, so every PGlite the tests open
 * (in this process and in the taskflow processes they start, which inherit the
 * environment) is unpacked from it instead of running initdb again (src/db/client.ts).
 */
import { existsSync, readFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initialisedDataDir } from "../../src/db/client.ts";

// Named by what makes it (PGlite's version and src/db/client.ts), kept and reused by
// later runs: bun test runs no exit handlers, so a file per process was never removed
// (40 MB each). Written under a temporary name, then renamed: a test process starting
// at the same time sees all of it or none.
if (!process.env.TASKFLOW_PGLITE_TEMPLATE) {
  const path = join(tmpdir(), `taskflow-test-initdb-${templateKey()}.tar`);
  if (!existsSync(path)) {
    const partial = `${path}.${process.pid}.partial`;
    await Bun.write(partial, await initialisedDataDir());
    renameSync(partial, path);
  }
  process.env.TASKFLOW_PGLITE_TEMPLATE = path;
}

function templateKey(): string {
  const root = join(import.meta.dir, "../..");
  const pglite = JSON.parse(readFileSync(join(root, "node_modules/@electric-sql/pglite/package.json"), "utf8")).version;
  return new Bun.CryptoHasher("sha256").update(`${pglite}|${readFileSync(join(root, "src/db/client.ts"), "utf8")}`).digest("hex").slice(0, 16);
}
