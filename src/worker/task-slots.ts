/**
 * Task slots: the attempts this worker is running, never more than its concurrency.
 * Starts a dispatched attempt's process, cancels it on request, and turns its end
 * into the TaskFinished report. Knows nothing about the stream: the service decides
 * what to send.
 */
import type { DispatchOutput, RunningTask } from "../proto/index.ts";
import type { OutputListener, OutputStreamName, ProcessHandle, ProcessResult, RunProcessOptions } from "./process-runner.ts";
import { attemptKey } from "../core/attempt.ts";
import type { FinishedReport } from "./result-outbox.ts";
import { spawnProcess } from "./spawn-pool.ts";

/** One attempt running in a slot. */
export interface RunningAttempt {
  readonly taskId: string;
  readonly attempt: number;
  /** The task's display name, for logs. */
  readonly name: string;
  /** Pid of the shell (and its process group); 0 until `started` resolves, and for good when the spawn failed. */
  readonly pid: number;
  /** ms since the epoch: when the process started; until then, when the attempt took its slot. */
  readonly startedAt: number;
  readonly handle: ProcessHandle;
  /**
   * Resolves with this attempt once its process runs (pid > 0) or failed to spawn
   * (pid 0); the spawn happens on another thread, so the pid comes a moment later.
   * Callbacks added at start run before the attempt's finish is reported.
   */
  readonly started: Promise<RunningAttempt>;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export type StartOutcome =
  | { kind: "started"; attempt: RunningAttempt }
  /** The attempt already runs here: a repeated Dispatch. */
  | { kind: "duplicate" }
  /** Every slot is busy: the coordinator over-dispatched. */
  | { kind: "full" };

export type ProcessStarter = (opts: RunProcessOptions) => ProcessHandle;

export class TaskSlots {
  readonly #running = new Map<string, RunningAttempt>();
  #idleWaiters: Array<() => void> = [];

  constructor(
    readonly capacity: number,
    /** Called once per attempt when its process and its whole group are gone. */
    private readonly onFinished: (attempt: RunningAttempt, report: FinishedReport, result: ProcessResult) => void,
    private readonly start_: ProcessStarter = spawnProcess,
    /** This worker's --name, exported to every task as TASKFLOW_WORKER. */
    private readonly workerName = "",
    /** --task-env-passthrough: worker variables tasks inherit although they look like secrets. */
    private readonly envPassthrough: string[] = [],
    /** Told each piece of an attempt's output as it is read (live output). */
    private readonly onOutput?: (taskId: string, attempt: number, stream: OutputStreamName, data: Uint8Array, offset?: number) => void,
  ) {}

  get size(): number {
    return this.#running.size;
  }

  get free(): number {
    return Math.max(0, this.capacity - this.#running.size);
  }

  has(taskId: string, attempt: number): boolean {
    return this.#running.has(attemptKey(taskId, attempt));
  }

  /** Starts the attempt's process in a free slot, unless it is a duplicate or no slot is free. */
  start(dispatch: DispatchOutput): StartOutcome {
    const key = attemptKey(dispatch.task_id, dispatch.attempt);
    if (this.#running.has(key)) return { kind: "duplicate" };
    if (this.free === 0) return { kind: "full" };
    const handle = this.start_({
      command: dispatch.command,
      env: { ...dispatch.env, ...attemptEnv(dispatch.task_id, dispatch.attempt, this.workerName) },
      timeoutMs: dispatch.timeout_ms > 0 ? dispatch.timeout_ms : null,
      envPassthrough: this.envPassthrough,
      ...(this.onOutput ? { onOutput: this.#outputOf(dispatch.task_id, dispatch.attempt, this.onOutput) } : {}),
    });
    const attempt: Mutable<RunningAttempt> = {
      taskId: dispatch.task_id,
      attempt: dispatch.attempt,
      name: dispatch.name,
      pid: 0,
      startedAt: Date.now(),
      handle,
      started: handle.started.then((s) => {
        attempt.pid = s.pid;
        attempt.startedAt = s.startedAt;
        return attempt;
      }),
    };
    this.#running.set(key, attempt);
    // Chained after started, so whoever reports the start does so before the finish.
    void attempt.started.then(() => handle.done).then((result) => this.#finished(key, attempt, result));
    return { kind: "started", attempt };
  }

  #outputOf(taskId: string, attempt: number, onOutput: NonNullable<TaskSlots["onOutput"]>): OutputListener {
    return (stream, data, offset) => onOutput(taskId, attempt, stream, data, offset);
  }

  /** Stops an attempt (TERM, then KILL after the grace); false when it does not run here. */
  cancel(taskId: string, attempt: number, reason: string): boolean {
    const running = this.#running.get(attemptKey(taskId, attempt));
    if (!running) return false;
    running.handle.cancel(reason);
    return true;
  }

  /** Stops every running attempt (TERM, then KILL after the grace); returns how many. */
  cancelAll(reason: string): number {
    for (const a of this.#running.values()) a.handle.cancel(reason);
    return this.#running.size;
  }

  /** Sends KILL to every running attempt now; returns how many. */
  killAll(reason: string): number {
    for (const a of this.#running.values()) a.handle.kill(reason);
    return this.#running.size;
  }

  /** The attempts running now, as Hello and Heartbeat list them. */
  running(): RunningTask[] {
    return [...this.#running.values()].map((a) => ({ task_id: a.taskId, attempt: a.attempt, started_at_ms: Math.floor(a.startedAt) }));
  }

  /** Resolves true once no attempt runs, or false after `timeoutMs`. */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.#running.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#idleWaiters = this.#idleWaiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.#idleWaiters.push(waiter);
    });
  }

  #finished(key: string, attempt: RunningAttempt, result: ProcessResult): void {
    // Free the slot before reporting, so the report never counts as running too.
    this.#running.delete(key);
    try {
      this.onFinished(attempt, finishedReport(attempt.taskId, attempt.attempt, result), result);
    } finally {
      if (this.#running.size === 0) for (const w of this.#idleWaiters.splice(0)) w();
    }
  }
}

/**
 * What every task process learns about its own attempt, added over the task's env
 * (these win), so a command can tell its runs apart: TASKFLOW_TASK_ID,
 * TASKFLOW_ATTEMPT (1 for the first run) and TASKFLOW_WORKER (the worker's --name).
 * @example
 * attemptEnv("t-1", 2, "w1"); // { TASKFLOW_TASK_ID: "t-1", TASKFLOW_ATTEMPT: "2", TASKFLOW_WORKER: "w1" }
 */
export function attemptEnv(taskId: string, attempt: number, workerName: string): Record<string, string> {
  return { TASKFLOW_TASK_ID: taskId, TASKFLOW_ATTEMPT: String(attempt), TASKFLOW_WORKER: workerName };
}

/**
 * The TaskFinished report of an ended process. `exit_code` is present only when the
 * process exited by itself with a code (not killed by a signal, not unstarted); a
 * timeout or cancel keeps its error even if the shell exited with a code on TERM.
 * @example
 * finishedReport("t-1", 2, result); // { task_id: "t-1", attempt: 2, exit_code: 0, error: "", ... }
 */
export function finishedReport(taskId: string, attempt: number, result: ProcessResult): FinishedReport {
  return {
    task_id: taskId,
    attempt,
    ...(result.exitCode !== null ? { exit_code: result.exitCode } : {}),
    error: result.error,
    stdout_tail: result.stdoutTail,
    stderr_tail: result.stderrTail,
    started_at_ms: Math.floor(result.startedAt),
    finished_at_ms: result.finishedAt,
  };
}

/**
 * The report of an attempt this worker would not run (full, or shutting down), so
 * the coordinator retries it instead of waiting for the worker to be declared dead.
 */
export function refusedReport(taskId: string, attempt: number, error: string, now: number): FinishedReport {
  return { task_id: taskId, attempt, error, started_at_ms: now, finished_at_ms: now };
}
