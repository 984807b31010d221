/**
 * An attempt: one run of a task on one worker session. This file holds what an
 * attempt's end does to its task, as one pure function, so the coordinator (a
 * worker's result), the liveness monitor (a lost worker) and a user's cancel all
 * take the same decision. The write that applies it, and refuses a result for an
 * attempt that is not current (the fence), is src/db/queries/record-attempt-outcomes.ts.
 */
import { hasRetryLeft, retryDelayMs, type BackoffSettings } from "./retry-policy.ts";

/** One attempt of one task on one worker session: what fences every attempt write. */
export interface AttemptRef {
  taskId: string;
  attempt: number;
  workerId: string;
}

/**
 * A (task, attempt) pair as a string key, for maps of attempts in flight.
 *
 * @example attemptKey("0b6e…", 2) // "0b6e…:2"
 */
export function attemptKey(taskId: string, attempt: number): string {
  return `${taskId}:${attempt}`;
}

/** The inverse of attemptKey. */
export function parseAttemptKey(key: string): { taskId: string; attempt: number } {
  const i = key.lastIndexOf(":");
  return { taskId: key.slice(0, i), attempt: Number(key.slice(i + 1)) };
}

/** What a coordinator needs to dispatch an attempt and, later, to judge its result. */
export interface ClaimedTask {
  id: string;
  attempt: number;
  name: string;
  command: string;
  env: Record<string, string>;
  queue: string;
  timeoutMs: number | null;
  maxRetries: number;
  /** Attempts before the last manual retry (0 if none): the retry budget counts from here. */
  retryBase: number;
  backoffMs: number;
  backoffFactor: number;
  backoffMaxMs: number;
  /** When it was due (for the coordinator's dispatch-lag metric). */
  runAt: Date;
}

/** How an attempt ended. */
export type AttemptEnd =
  /** The worker reported the process's end: exit code 0 and no error is success. */
  | { kind: "finished"; exitCode: number | null; error: string | null }
  /** The worker was lost (declared dead, or the attempt vanished from it). */
  | { kind: "lost"; reason: string }
  /** A user cancelled the task. */
  | { kind: "cancelled"; reason: string };

/** The task facts the decision needs; `retryBase` (default 0): attempts before the last manual retry, which gave a fresh budget. */
export type AttemptTask = BackoffSettings & { attempt: number; maxRetries: number; retryBase?: number };

/**
 * The attempt's number within the current retry budget: a manual retry starts a new
 * budget (db/queries/retry-tasks.ts), so attempt 5 after a retry at attempt 4 is the
 * budget's attempt 1.
 *
 * @example attemptInBudget({ attempt: 5, retryBase: 4 }) // 1
 */
export function attemptInBudget(task: { attempt: number; retryBase?: number }): number {
  return task.attempt - (task.retryBase ?? 0);
}

/** What an attempt's end does: the attempt's and the task's new status, the retry delay, the error and the timeline note. */
export interface AttemptOutcome {
  attemptStatus: "completed" | "failed" | "lost" | "cancelled";
  taskStatus: "completed" | "failed" | "scheduled" | "cancelled";
  /** For taskStatus "scheduled": due again this long from now (the database's now(), so clocks of coordinators do not matter). */
  delayMs: number;
  error: string | null;
  /** Timeline note, e.g. "attempt 1 failed, retry 1 of 3 in 2.0 s: exit code 1"; null on success. */
  message: string | null;
}

/**
 * The one decision for an attempt's end (SPEC §2): success completes the task; a
 * failure or a lost worker retries it after the backoff while retries are left,
 * else fails it for good; a cancel cancels it. `random` is injectable so tests can pin the jitter.
 *
 * @example attemptOutcome({ kind: "lost", reason: "worker w1 was lost" }, task) // { taskStatus: "scheduled", delayMs: 1000…1100, … }
 */
export function attemptOutcome(end: AttemptEnd, task: AttemptTask, random: () => number = Math.random): AttemptOutcome {
  if (end.kind === "cancelled") {
    return { attemptStatus: "cancelled", taskStatus: "cancelled", delayMs: 0, error: end.reason, message: end.reason };
  }
  if (end.kind === "finished" && end.exitCode === 0 && !end.error) {
    return { attemptStatus: "completed", taskStatus: "completed", delayMs: 0, error: null, message: null };
  }
  const error = end.kind === "lost" ? end.reason : end.error || `exit code ${end.exitCode}`;
  const attemptStatus = end.kind === "lost" ? "lost" : "failed";
  const n = attemptInBudget(task);
  if (!hasRetryLeft(n, task.maxRetries)) {
    return { attemptStatus, taskStatus: "failed", delayMs: 0, error, message: `attempt ${task.attempt} failed, no retries left: ${error}` };
  }
  const delayMs = retryDelayMs(task, n, random);
  const message = `attempt ${task.attempt} failed, retry ${n} of ${task.maxRetries} in ${(delayMs / 1000).toFixed(1)} s: ${error}`;
  return { attemptStatus, taskStatus: "scheduled", delayMs, error, message };
}

/**
 * How an attempt count reads, in the budget a manual retry started: never "attempt 4 of at most 3".
 *
 * @example attemptText({ attempt: 5, retryBase: 4, maxRetries: 3, manualRetries: 1 }) // "1 of at most 4 (manual retry #1, attempt 5 in all)"
 * @example attemptText({ attempt: 2, retryBase: 0, maxRetries: 3, manualRetries: 0 }) // "2 of at most 4"
 */
export function attemptText(t: { attempt: number; retryBase: number; maxRetries: number; manualRetries: number }): string {
  const text = `${attemptInBudget(t)} of at most ${t.maxRetries + 1}`;
  return t.manualRetries === 0 ? text : `${text} (manual retry #${t.manualRetries}, attempt ${t.attempt} in all)`;
}
