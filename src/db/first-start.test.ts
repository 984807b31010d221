// A new embedded data folder set up by a child process (`taskflow migrate` under Bun
// here, the executable itself in the binary: test/e2e/binary.test.ts starts one from an
// empty folder), and the fallback when the child fails.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { roleLogger, setupLogging } from "../log/logger.ts";
import { openDatabase } from "./client.ts";
import { initialiseInChild, isNewDataDir } from "./first-start.ts";
import { migrationsApplied } from "./migrate.ts";

const logLines: string[] = [];
setupLogging({ format: "json", level: "debug", write: (line) => void logLines.push(line) });
const root = mkdtempSync(join(tmpdir(), "taskflow-first-start-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

test("a child process initialises and migrates a new folder, which then opens as an existing one", async () => {
  const dataDir = join(root, "data");
  expect(isNewDataDir(dataDir)).toBe(true);
  expect(await initialiseInChild(dataDir, roleLogger("db"))).toBe(true);
  expect(isNewDataDir(dataDir)).toBe(false);
  const d = await openDatabase({ databaseUrl: null, dataDir });
  try {
    expect(await migrationsApplied(d.db)).toBe(true);
  } finally {
    await d.close();
  }
  expect(logLines.filter((l) => l.includes('"warning"'))).toEqual([]);
}, 120_000);

test("when the child fails, it says why and leaves the work to the caller", async () => {
  // A file where the folder should be: the child cannot create the data folder.
  const blocker = join(root, "not-a-folder");
  writeFileSync(blocker, "");
  const dataDir = join(blocker, "data");
  expect(await initialiseInChild(dataDir, roleLogger("db"))).toBe(false);
  const warning = logLines.map((l) => JSON.parse(l) as { level: string; message: string }).find((l) => l.level === "warning");
  expect(warning?.message).toContain(`initialising ${dataDir} in a child process failed (`);
  expect(warning?.message).toContain("not a directory");
}, 120_000);
