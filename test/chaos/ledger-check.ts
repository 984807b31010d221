/**
 * The battery's checker: holds what the database says (tasks and their attempts)
 * against what really ran (the ledger) and against the faults the test injected.
 * Pure: it gets plain data and returns every violation it finds, plus figures.
 *
 * The rules (issue 9):
 * - every task that got a 201 exists and reached the expected terminal state;
 * - exactly one attempt of each task succeeded, and the ledger saw it run to its end
 *   on the same worker;
 * - attempt numbers run 1..n with no gaps, n being the task's attempt count;
 * - a task has more than one attempt only when a fault hit the earlier attempt: each
 *   earlier attempt is lost or failed with its reason recorded, and an injected fault
 *   on its worker (or on every worker) overlaps its lifetime;
 * - no (task, attempt) ran twice, and no two runs of one task overlapped for longer
 *   than the worker timeout plus the kill grace.
 */
import type { LedgerRun } from "./ledger.ts";

/** One attempt as the database records it (times in ms since the epoch, by the database clock). */
export interface DbAttempt {
  attempt: number;
  status: string;
  worker: string | null;
  pickedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  error: string | null;
}

export interface DbTask {
  id: string;
  status: string;
  attempt: number;
  attempts: DbAttempt[];
}

/** A fault the test injected: on one worker (by name) or on all of them ("*"), during [from, to]. */
export interface Fault {
  kind: string;
  target: string;
  from: number;
  to: number;
}

export interface CheckInput {
  /** Ids of the tasks whose submission got a 201. */
  accepted: string[];
  /** Every task in the database, by id. */
  tasks: Map<string, DbTask>;
  runs: LedgerRun[];
  faults: Fault[];
}

export interface CheckOptions {
  /** Longest tolerated overlap of two runs of one task: worker timeout + kill grace. */
  overlapLimitMs: number;
  /** A fault counts for an attempt that ended up to this long after the fault window. */
  faultSlackMs: number;
  /** The status every accepted task must end in (default "completed"). */
  expectStatus?: string;
  /** "now", for runs that never wrote an end line (they count as still running). */
  now?: number;
}

export interface CheckStats {
  tasks: number;
  attempts: number;
  retriedTasks: number;
  /** How many tasks took 1, 2, 3… attempts. */
  attemptsHistogram: Record<number, number>;
  /** Why earlier attempts ended, normalized (ids and numbers blanked). */
  retryReasons: Record<string, number>;
  ledgerRuns: number;
  /** Runs of an attempt that was not the successful one (work done again). */
  extraRuns: number;
  maxOverlapMs: number;
}

export interface CheckReport {
  violations: string[];
  stats: CheckStats;
}

const TERMINAL = new Set(["completed", "failed", "cancelled"]);
const MAX_LISTED = 25;

export function checkLedger(input: CheckInput, opts: CheckOptions): CheckReport {
  const violations: string[] = [];
  const expect = opts.expectStatus ?? "completed";
  const now = opts.now ?? Date.now();
  const runsByTask = groupBy(input.runs, (r) => r.taskId);
  const stats: CheckStats = { tasks: 0, attempts: 0, retriedTasks: 0, attemptsHistogram: {}, retryReasons: {}, ledgerRuns: input.runs.length, extraRuns: 0, maxOverlapMs: 0 };

  for (const id of new Set(input.accepted)) {
    const task = input.tasks.get(id);
    if (!task) {
      violations.push(`task ${id} got a 201 but is not in the database`);
      continue;
    }
    stats.tasks++;
    if (!TERMINAL.has(task.status)) violations.push(`task ${id} is still ${task.status} (attempt ${task.attempt})`);
    else if (task.status !== expect) violations.push(`task ${id} ended ${task.status}, expected ${expect}`);
  }

  for (const task of input.tasks.values()) {
    const attempts = [...task.attempts].sort((a, b) => a.attempt - b.attempt);
    stats.attempts += attempts.length;
    stats.attemptsHistogram[attempts.length] = (stats.attemptsHistogram[attempts.length] ?? 0) + 1;
    if (attempts.length > 1) stats.retriedTasks++;
    checkNumbering(task, attempts, violations);
    const succeeded = attempts.filter((a) => a.status === "completed");
    if (task.status === "completed" && succeeded.length !== 1) violations.push(`task ${task.id} is completed with ${succeeded.length} successful attempts`);
    if (task.status !== "completed" && succeeded.length > 0) violations.push(`task ${task.id} is ${task.status} yet attempt ${succeeded[0]!.attempt} succeeded`);
    const runs = runsByTask.get(task.id) ?? [];
    for (const a of succeeded) {
      if (!runs.some((r) => r.attempt === a.attempt && r.worker === a.worker && r.outcome === "ok")) {
        violations.push(`task ${task.id} attempt ${a.attempt} completed on ${a.worker} by the database, but the ledger has no full run of it there`);
      }
    }
    for (const a of attempts.slice(0, -1)) checkEarlierAttempt(task, a, input.faults, opts, stats, violations);
    stats.extraRuns += runs.filter((r) => !succeeded.some((a) => a.attempt === r.attempt)).length;
  }

  for (const [taskId, runs] of runsByTask) {
    const task = input.tasks.get(taskId);
    if (!task) {
      violations.push(`the ledger has runs of task ${taskId}, which is not in the database`);
      continue;
    }
    checkRuns(task, runs, opts.overlapLimitMs, now, stats, violations);
  }
  return { violations: capped(violations), stats };
}

function checkNumbering(task: DbTask, attempts: DbAttempt[], violations: string[]): void {
  const numbers = attempts.map((a) => a.attempt);
  const want = Array.from({ length: task.attempt }, (_, i) => i + 1);
  if (numbers.join(",") !== want.join(",")) {
    violations.push(`task ${task.id} has attempts [${numbers.join(",")}], expected 1..${task.attempt} with no gaps`);
  }
}

/** An attempt that was followed by another: it must have failed for a recorded reason, under a fault. */
function checkEarlierAttempt(task: DbTask, a: DbAttempt, faults: Fault[], opts: CheckOptions, stats: CheckStats, violations: string[]): void {
  const where = `task ${task.id} attempt ${a.attempt} on ${a.worker}`;
  if (a.status !== "lost" && a.status !== "failed") violations.push(`${where} was followed by another attempt but is ${a.status}`);
  if (!a.error) violations.push(`${where} was retried without a recorded reason`);
  const reason = normalizeReason(a.error ?? "(none)");
  stats.retryReasons[reason] = (stats.retryReasons[reason] ?? 0) + 1;
  const end = a.finishedAt ?? Number.POSITIVE_INFINITY;
  const hit = faults.some((f) => (f.target === "*" || f.target === a.worker) && f.from <= end && a.pickedAt <= f.to + opts.faultSlackMs);
  if (!hit) violations.push(`${where} was retried (${a.error}) but no injected fault hit it (picked ${iso(a.pickedAt)}, ended ${iso(a.finishedAt)})`);
}

/** No attempt ran twice; no two runs of one task overlapped for too long. */
function checkRuns(task: DbTask, runs: LedgerRun[], limitMs: number, now: number, stats: CheckStats, violations: string[]): void {
  for (const [attempt, same] of groupBy(runs, (r) => r.attempt)) {
    if (same.length > 1) violations.push(`task ${task.id} attempt ${attempt} ran ${same.length} times (pids ${same.map((r) => `${r.worker}/${r.pid}`).join(", ")})`);
    if (attempt > task.attempt) violations.push(`task ${task.id} attempt ${attempt} ran, but the database knows only ${task.attempt} attempt(s)`);
  }
  for (let i = 0; i < runs.length; i++) {
    for (let j = i + 1; j < runs.length; j++) {
      const a = runs[i]!;
      const b = runs[j]!;
      if (a.attempt === b.attempt) continue;
      const overlap = Math.min(a.end ?? now, b.end ?? now) - Math.max(a.start, b.start);
      if (overlap <= 0) continue;
      stats.maxOverlapMs = Math.max(stats.maxOverlapMs, overlap);
      if (overlap > limitMs) {
        violations.push(`task ${task.id}: attempts ${a.attempt} (${a.worker}) and ${b.attempt} (${b.worker}) ran together for ${overlap} ms, over the ${limitMs} ms limit`);
      }
    }
  }
}

/** An error text with ids, numbers and durations blanked, to count reasons. */
export function normalizeReason(error: string): string {
  return error
    .replace(/[0-9a-f]{8}-[0-9a-f-]{27}/gi, "<id>")
    .replace(/\d+(\.\d+)?/g, "N")
    .slice(0, 120);
}

function groupBy<T, K>(items: T[], key: (t: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}

function capped(violations: string[]): string[] {
  if (violations.length <= MAX_LISTED) return violations;
  return [...violations.slice(0, MAX_LISTED), `… and ${violations.length - MAX_LISTED} more`];
}

function iso(ms: number | null): string {
  return ms === null ? "never" : new Date(ms).toISOString();
}
