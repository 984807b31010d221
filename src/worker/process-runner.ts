/**
 * Process runner: runs one task attempt's command as `/bin/sh -c COMMAND` in
 * its own process group, keeps the tails of its output, and enforces timeout
 * and cancellation by signalling the whole group (TERM, then KILL after a
 * grace). It knows nothing about gRPC or the database.
 *
 * `runProcess` spawns on the calling thread, which Bun blocks until the child has
 * exec'd (1–3 ms with setsid); the worker therefore calls it from spawn threads
 * (spawn-pool.ts, spawn-thread.ts) and uses it directly only as their fallback.
 */
import { coerceError } from "../core/errors.ts";
import { preciseNowMs } from "../core/precise-clock.ts";
import { readdirSync, readFileSync } from "node:fs";
import { OutputTail } from "./output-tail.ts";
import { taskBaseEnv } from "./task-env.ts";

export { OUTPUT_TAIL_BYTES } from "./output-tail.ts";

/** Time between SIGTERM and SIGKILL when stopping a task (SPEC §2: 5 s). */
export const KILL_GRACE_MS_DEFAULT = 5000;
/** How often to look for surviving group members while waiting for them to die. */
const GROUP_POLL_MS = 10;
/** How long to wait for members to die after SIGKILL before giving up on them. */
const AFTER_KILL_WAIT_MS = 2000;
/** How long to keep reading output once the group is gone; only a process that left the group can hold the pipes longer. */
const PIPE_DRAIN_MS = 1000;

export interface RunProcessOptions {
  /** Shell command, run by `/bin/sh -c`. */
  command: string;
  /** Added to the worker's own environment (without its secrets: task-env.ts). */
  env?: Record<string, string>;
  /** Worker variables a task inherits although they look like secrets (--task-env-passthrough). */
  envPassthrough?: string[];
  /** Working directory; defaults to the worker's. */
  cwd?: string;
  /** Stop the process past this many ms; null, undefined or 0 = no limit. */
  timeoutMs?: number | null;
  /** Time between SIGTERM and SIGKILL on timeout or cancel. */
  killGraceMs?: number;
  /** Told each piece of output as it is read (live output); stays on the thread that spawned. */
  onOutput?: OutputListener;
}

export type OutputStreamName = "stdout" | "stderr";
/** `offset`, when given, places the bytes in the stream's output (past the end: bytes dropped before them). */
export type OutputListener = (stream: OutputStreamName, data: Uint8Array, offset?: number) => void;

/** "lost": the spawn thread supervising the process died, so its group was killed unobserved. */
export type ProcessEndReason = "exited" | "timeout" | "cancelled" | "spawn_error" | "lost";

export interface ProcessResult {
  exitCode: number | null;
  signal: string | null;
  /** Short human message; "" when the command exited 0 on its own. */
  error: string;
  stdoutTail: Uint8Array;
  stderrTail: Uint8Array;
  /** Everything the process wrote to stdout and stderr, in bytes (the tails keep only the end). */
  outputBytes?: number;
  /** ms since the epoch, with a fraction (core/precise-clock.ts): just before the spawn. */
  startedAt: number;
  finishedAt: number;
  reason: ProcessEndReason;
}

export interface ProcessStart {
  /** Pid of the shell, which is also its process group id; 0 if the spawn failed. */
  pid: number;
  /** ms since the epoch, with a fraction (core/precise-clock.ts): just before the spawn. */
  startedAt: number;
}

export interface ProcessHandle {
  /** Resolves once the process runs (pid > 0) or could not be spawned (pid 0), before done; never rejects. */
  readonly started: Promise<ProcessStart>;
  /** Resolves once the process and every member of its group are gone; never rejects. */
  readonly done: Promise<ProcessResult>;
  /** Stops the process (TERM, then KILL after the grace); no effect once it has exited. */
  cancel(reason: string): void;
  /**
   * Like cancel, but sends KILL now instead of waiting out the grace: for a worker
   * whose shutdown deadline cannot wait the full grace. No effect once it has ended.
   */
  kill(reason: string): void;
}

/** A process spawned on this thread: its pid is known at once. */
export interface LocalProcess extends ProcessHandle, Readonly<ProcessStart> {}

/** Why the runner stopped the process, if it did. */
interface StopCause {
  reason: "timeout" | "cancelled";
  error: string;
}

type TaskProcess = Bun.Subprocess<"ignore", "pipe", "pipe">;

/**
 * Starts `/bin/sh -c opts.command` in a new process group and supervises it.
 *
 * @example
 * const run = runProcess({ command: "echo hi", timeoutMs: 1000 });
 * const result = await run.done; // { exitCode: 0, error: "", reason: "exited", ... }
 */
export function runProcess(opts: RunProcessOptions): LocalProcess {
  // Taken just before the spawn, with a fraction of a millisecond: the attempt's spawned_at.
  const startedAt = preciseNowMs();
  let proc: TaskProcess;
  try {
    proc = Bun.spawn(["/bin/sh", "-c", opts.command], {
      cwd: opts.cwd,
      env: { ...taskBaseEnv(process.env, opts.envPassthrough), ...opts.env },
      // setsid(): the shell leads a new group, so one kill(-pid) reaches its children too.
      detached: true,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
  } catch (err) {
    return spawnFailed(err, startedAt);
  }
  return supervise(proc, opts, startedAt);
}

function spawnFailed(err: unknown, startedAt: number): LocalProcess {
  const message = coerceError(err).message;
  const result: ProcessResult = {
    exitCode: null,
    signal: null,
    error: `spawn failed: ${message}`,
    stdoutTail: new Uint8Array(0),
    stderrTail: new Uint8Array(0),
    startedAt,
    finishedAt: Date.now(),
    reason: "spawn_error",
  };
  return { pid: 0, startedAt, started: Promise.resolve({ pid: 0, startedAt }), done: Promise.resolve(result), cancel() {}, kill() {} };
}

function supervise(proc: TaskProcess, opts: RunProcessOptions, startedAt: number): LocalProcess {
  const pgid = proc.pid;
  const stopper = new GroupStopper(pgid, opts.killGraceMs ?? KILL_GRACE_MS_DEFAULT);
  const stdout = new OutputTail();
  const stderr = new OutputTail();
  const readers = [proc.stdout.getReader(), proc.stderr.getReader()] as const;
  let outputEnded = false;
  const onOutput = opts.onOutput;
  const pumps = Promise.all([
    pump(readers[0], stdout, onOutput && ((d) => onOutput("stdout", d))),
    pump(readers[1], stderr, onOutput && ((d) => onOutput("stderr", d))),
  ]).then(() => {
    outputEnded = true;
  });

  let cause: StopCause | null = null;
  let leaderExited = false;
  // Once done resolved the group is gone and its id may be reused: never signal it again.
  let ended = false;
  const stopFor = (c: StopCause) => {
    // The first cause wins, and a process that already exited on its own keeps reason "exited".
    if (cause !== null || leaderExited) return;
    cause = c;
    stopper.start();
  };

  const timeoutMs = opts.timeoutMs ?? 0;
  const timeoutTimer =
    timeoutMs > 0
      ? setTimeout(() => stopFor({ reason: "timeout", error: `timed out after ${timeoutMs} ms` }), timeoutMs)
      : undefined;

  const done = (async (): Promise<ProcessResult> => {
    await proc.exited;
    leaderExited = true;
    clearTimeout(timeoutTimer);
    // Children the shell left behind get the same TERM-then-KILL as a timeout.
    await stopper.stopSurvivors();
    // Usually the pipes closed with the group; skip arming a drain timer then.
    if (!outputEnded) await drainOrCancel(pumps, readers);
    const exitCode = proc.exitCode;
    // Bun types allow a numeric signal (platforms without names); report it as text either way.
    const signal = proc.signalCode === null ? null : String(proc.signalCode);
    const stop = cause as StopCause | null;
    ended = true;
    return {
      exitCode,
      signal,
      error: stop?.error ?? exitError(exitCode, signal),
      stdoutTail: stdout.bytes(),
      stderrTail: stderr.bytes(),
      outputBytes: stdout.totalBytes + stderr.totalBytes,
      startedAt,
      finishedAt: Date.now(),
      reason: stop?.reason ?? "exited",
    };
  })();

  return {
    pid: pgid,
    startedAt,
    started: Promise.resolve({ pid: pgid, startedAt }),
    done,
    cancel: (reason) => stopFor({ reason: "cancelled", error: cancelledError(reason) }),
    kill: (reason) => {
      stopFor({ reason: "cancelled", error: cancelledError(reason) });
      if (!ended) stopper.killNow();
    },
  };
}

/**
 * The error of an attempt stopped on request, saying "cancelled" once.
 * @example
 * cancelledError("worker shutting down"); // "cancelled: worker shutting down"
 * cancelledError("cancelled by a user"); // "cancelled by a user"
 */
export function cancelledError(reason: string): string {
  return reason.startsWith("cancelled") ? reason : `cancelled: ${reason}`;
}

/** True for an error made by cancelledError: the attempt was stopped, it did not fail. */
export function isCancelledError(error: string): boolean {
  return error.startsWith("cancelled");
}

function exitError(exitCode: number | null, signal: string | null): string {
  if (signal !== null) return `killed by ${signal}`;
  if (exitCode !== 0) return `exit code ${exitCode}`;
  return "";
}

/** Copies a stream into a tail (and hands each piece to the live listener, if any). */
async function pump(reader: ReadableStreamDefaultReader<Uint8Array>, tail: OutputTail, live?: (data: Uint8Array) => void): Promise<void> {
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      tail.write(value);
      live?.(value);
    }
  } catch {
    // A cancelled or broken pipe just ends the output; the exit status tells the story.
  }
}

/** Waits for the output to end, but not forever: a process that escaped the group may hold the pipes. */
async function drainOrCancel(
  pumps: Promise<unknown>,
  readers: readonly ReadableStreamDefaultReader<Uint8Array>[],
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), PIPE_DRAIN_MS);
  });
  const timedOut = await Promise.race([pumps.then(() => false), expired]);
  clearTimeout(timer);
  if (timedOut) await Promise.all(readers.map((r) => r.cancel().catch(() => {})));
}

/** Sends SIGTERM to a process group, then SIGKILL after a grace, once. */
class GroupStopper {
  #started = false;
  #killedAt: number | null = null;
  #killTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly pgid: number,
    readonly graceMs: number,
  ) {}

  start(): void {
    if (this.#started) return;
    this.#started = true;
    signalGroup(this.pgid, "SIGTERM");
    this.#killTimer = setTimeout(() => this.#kill(), this.graceMs);
  }

  /** Sends KILL now, skipping what is left of the grace. */
  killNow(): void {
    this.#started = true;
    clearTimeout(this.#killTimer);
    this.#kill();
  }

  /** After the leader exited: stops whatever is left of the group and waits until it is gone. */
  async stopSurvivors(): Promise<void> {
    if (groupHasLiveMembers(this.pgid)) {
      this.start();
      while (groupHasLiveMembers(this.pgid)) {
        if (this.#killedAt !== null && Date.now() - this.#killedAt > AFTER_KILL_WAIT_MS) break;
        await Bun.sleep(GROUP_POLL_MS);
      }
    }
    clearTimeout(this.#killTimer);
  }

  #kill(): void {
    this.#killedAt = Date.now();
    signalGroup(this.pgid, "SIGKILL");
  }
}

/**
 * Sends `signal` to every process in group `pgid` (0 only probes).
 * Returns false when the group no longer exists.
 */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  // kill(-0) is our own group and kill(-1) is every process we may signal.
  if (!Number.isInteger(pgid) || pgid <= 1) throw new RangeError(`refusing to signal process group ${pgid}`);
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ESRCH") return false;
    // EPERM: a member changed its credentials; the group still exists.
    if (code === "EPERM") return true;
    throw err;
  }
}

/**
 * True while some process in group `pgid` still runs. Zombies don't count:
 * orphans wait for PID 1 to reap them, which in some containers takes a
 * second or more, yet they can no longer do anything.
 */
function groupHasLiveMembers(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false;
  return scanForLiveMember(pgid) ?? true;
}

/** Looks through /proc (Linux); null when it can't, so callers assume the group lives. */
function scanForLiveMember(pgid: number): boolean | null {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return null;
  }
  for (const entry of entries) {
    const first = entry.charCodeAt(0);
    if (first < 48 || first > 57) continue; // only numeric entries are processes
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "latin1");
    } catch {
      continue; // it exited while we looked
    }
    // Field 2 (the command name) may hold spaces and parentheses: parse after its last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const state = fields[0];
    if (Number(fields[2]) === pgid && state !== "Z" && state !== "X") return true;
  }
  return false;
}
