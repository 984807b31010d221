/**
 * A new embedded data folder is set up before it is opened, then opened as on any
 * restart. The binary unpacks it from the template it carries (first-start-template.ts):
 * no initdb, no migrations to run. Without a template (under `bun run`), long-running
 * processes have a short-lived child process (`taskflow migrate`) initialise and
 * migrate it: initdb (a second PostgreSQL instance of its own) and the first
 * migrations would leave this process ~25–30 MB larger for good (WebAssembly memory
 * never shrinks, and the heap keeps its peak); in a child, all of it goes when the
 * child exits (bench/README.md, footprint).
 */
import { fileURLToPath } from "node:url";
import { coerceError } from "../core/errors.ts";
import type { Logger } from "../log/logger.ts";
import { embeddedTemplate, unpackTemplate } from "./first-start-template.ts";

/**
 * Sets up the new folder `dataDir` with every migration applied: from `template` when
 * there is one, else in a child when `inChild`. Returns false when it did not (a
 * failure is logged): the caller then initialises and migrates it itself.
 */
export async function setUpNewDataDir(dataDir: string, log: Logger, opts: { inChild: boolean; template?: Blob }): Promise<boolean> {
  const template = opts.template ?? embeddedTemplate();
  if (template) {
    try {
      await unpackTemplate(template, dataDir);
      log.debug("set up {dir} from the database template in the binary", { dir: dataDir });
      return true;
    } catch (err) {
      log.warn("unpacking the embedded database template into {dir} failed ({reason}); initialising it instead", { dir: dataDir, reason: coerceError(err).message });
    }
  }
  return opts.inChild && initialiseInChild(dataDir, log);
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
