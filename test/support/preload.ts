/**
 * Runs once before the tests of a `bun test` process: initialises one embedded
 * database (or finds the one an earlier run made) and points TASKFLOW_PGLITE_TEMPLATE at it, so every PGlite the tests open
 * (in this process and in the taskflow processes they start, which inherit the
 * environment) is unpacked from it instead of running initdb again (src/db/client.ts).
 * Kept and reused by later runs: bun test runs no exit handlers, so a file per process
 * would never be removed (40 MB each).
 */
import { openDatabase } from "../../src/db/client.ts";
import { makeOnce, snapshotPath } from "./pglite-snapshots.ts";

if (!process.env.TASKFLOW_PGLITE_TEMPLATE) {
  const path = snapshotPath("initdb", "", ".tar");
  await makeOnce(path, async (partial) => {
    const database = await openDatabase({ databaseUrl: null, dataDir: "memory://" });
    await Bun.write(partial, await database.dumpDataDir!());
    await database.close();
  });
  process.env.TASKFLOW_PGLITE_TEMPLATE = path;
}
