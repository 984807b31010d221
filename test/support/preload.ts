/**
 * Runs once before the tests of a `bun test` process: initialises one embedded
 * database and points TASKFLOW_PGLITE_TEMPLATE at it, so every PGlite the tests open
 * (in this process and in the taskflow processes they start, which inherit the
 * environment) is unpacked from it instead of running initdb again (src/db/client.ts).
 */
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initialisedDataDir } from "../../src/db/client.ts";

if (!process.env.TASKFLOW_PGLITE_TEMPLATE) {
  const path = join(tmpdir(), `taskflow-test-initdb-${process.pid}.tar`);
  await Bun.write(path, await initialisedDataDir());
  process.env.TASKFLOW_PGLITE_TEMPLATE = path;
  process.on("exit", () => rmSync(path, { force: true }));
}
