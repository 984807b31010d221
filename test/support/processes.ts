/**
 * Starts real taskflow processes for end-to-end tests: the compiled binary when
 * TASKFLOW_BIN is set, else `bun src/main.ts`. Output is kept for failure messages.
 */
import type { Subprocess } from "bun";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "../..");

export interface TaskflowProcess {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  /** Everything it printed so far (stdout + stderr). */
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number>;
  kill(signal?: NodeJS.Signals | number): void;
}

/** The command that runs taskflow: the binary under test or the sources. */
export function taskflowCommand(): string[] {
  const bin = process.env.TASKFLOW_BIN;
  return bin ? [bin] : [process.execPath, join(ROOT, "src/main.ts")];
}

export function startTaskflow(args: string[], opts: { env?: Record<string, string | undefined>; cwd?: string } = {}): TaskflowProcess {
  const proc = Bun.spawn([...taskflowCommand(), ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, TASKFLOW_LOG_FORMAT: "json", TASKFLOW_LOG_LEVEL: "debug", ...opts.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let out = "";
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    const reader = stream.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) out += decoder.decode(r.value, { stream: true });
  };
  void collect(proc.stdout);
  void collect(proc.stderr);
  const copy = dataDirCopy(args);
  if (copy) void proc.exited.then(() => rmSync(copy, { recursive: true, force: true }));
  return {
    proc,
    output: () => out,
    exited: proc.exited,
    kill: (signal = "SIGTERM") => proc.kill(signal),
  };
}

/** Name prefix (in the temp folder) of the data dir copies migratedDataDirFlag() hands out. */
export const DATA_DIR_COPY_PREFIX = "taskflow-test-datadir-copy-";

/** The data dir copy a process was started on, if any: it goes when the process exits. */
function dataDirCopy(args: string[]): string | null {
  const dir = args.find((a) => a.startsWith("--data-dir="))?.slice("--data-dir=".length);
  return dir?.startsWith(join(tmpdir(), DATA_DIR_COPY_PREFIX)) ? dir : null;
}

/**
 * A TCP port that was free a moment ago, and that no other test process hands out
 * while this one runs: test files run in several processes at once (`bun test
 * --parallel`), and the OS may offer the same free port to two of them before either
 * binds it. Each port handed out is reserved by a lock file (created with O_EXCL)
 * holding this process's pid, for as long as that process lives: a file whose process
 * is gone is taken over (bun test runs no exit handlers to remove them).
 */
export function freePort(): number {
  mkdirSync(PORT_LOCK_DIR, { recursive: true });
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = portFromTheOs();
    if (reservePort(port)) return port;
  }
  throw new Error(`freePort: 100 free ports in a row were reserved by other test processes (${PORT_LOCK_DIR})`);
}

const PORT_LOCK_DIR = join(tmpdir(), "taskflow-test-ports");

function portFromTheOs(): number {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = s.port!;
  s.stop(true);
  return port;
}

/** Creates the port's lock file; false when another live process (or this one, earlier) holds it. */
function reservePort(port: number): boolean {
  const file = join(PORT_LOCK_DIR, String(port));
  for (let tries = 0; tries < 2; tries++) {
    try {
      writeFileSync(file, String(process.pid), { flag: "wx" });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    if (!holderIsGone(file)) return false;
    rmSync(file, { force: true });
  }
  return false;
}

function holderIsGone(file: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(file, "utf8"));
  } catch {
    return true;
  }
  if (!Number.isInteger(pid) || pid <= 0) return false; // being written right now
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** Polls `check` until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(what: string, check: () => Promise<T> | T, timeoutMs = 15000, intervalMs = 25): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    await Bun.sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError})` : ""}`);
}

/** Waits until GET /readyz answers 200; a loaded machine (test files run two at a time) can take tens of seconds to start taskflow. */
export async function waitReady(baseUrl: string, p?: TaskflowProcess, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    `${baseUrl}/readyz${p ? `; output so far:\n${p.output()}` : ""}`,
    async () => {
      if (p && p.proc.exitCode !== null) throw new Error(`process exited ${p.proc.exitCode}:\n${p.output()}`);
      const r = await fetch(`${baseUrl}/readyz`);
      return r.status === 200;
    },
    timeoutMs,
  );
}
