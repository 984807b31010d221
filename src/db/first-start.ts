/**
 * A new embedded data folder is created and migrated by a short-lived child process
 * (`taskflow migrate`), and this process then opens it as on any restart. initdb (a
 * second PostgreSQL instance of its own) and the first migrations leave this process
 * ~25–30 MB larger for good (WebAssembly memory never shrinks, and the heap keeps its
 * peak); in a child, all of it goes when the child exits (bench/README.md, footprint).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "../log/logger.ts";

/** True when `dataDir` holds no initialised database yet (initdb writes PG_VERSION first). */
export function isNewDataDir(dataDir: string): boolean {
  return !existsSync(join(dataDir, "PG_VERSION"));
}

/**
 * Initialises and migrates `dataDir` in a child process. Returns false, having logged
 * why, when the child did not succeed: the caller then does the work itself, as
 * before, so a failure here costs memory at most, never the start.
 */
export async function initialiseInChild(dataDir: string, log: Logger): Promise<boolean> {
  const child = Bun.spawn([...selfCommand(), "migrate", "--database-url=", `--data-dir=${dataDir}`, "--log-level=error", "--log-format=json"], {
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
  });
  const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()]);
  if (code === 0) return true;
  log.warn("initialising {dir} in a child process failed ({reason}); initialising it here", { dir: dataDir, reason: lastMessage(stderr) || `exit code ${code}` });
  return false;
}

/** How to run this same taskflow: the executable itself when compiled, else Bun with main.ts. */
function selfCommand(): string[] {
  if (import.meta.url.includes("/$bunfs/")) return [process.execPath];
  return [process.execPath, fileURLToPath(new URL("../main.ts", import.meta.url))];
}

/** The child's last log line's message (JSON lines), or its last line as written. */
function lastMessage(stderr: string): string {
  const line = stderr.trim().split("\n").at(-1) ?? "";
  try {
    const parsed = JSON.parse(line) as { message?: unknown };
    return typeof parsed.message === "string" ? parsed.message : line;
  } catch {
    return line;
  }
}
