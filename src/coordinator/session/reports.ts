/**
 * A session's starts and results, on their way to the batched report writer
 * (report-writer.ts). A result's outcome is core/attempt.ts:attemptOutcome; whether
 * it lands is decided by the fence, db/queries/record-attempt-outcomes.ts. The
 * in-flight check here is only an early exit for results this session never dispatched.
 */
import { attemptKey, attemptOutcome } from "../../core/attempt.ts";
import { currentAttempts } from "../../db/queries/current-attempts.ts";
import type { AttemptOutcomeWrite } from "../../db/queries/record-attempt-outcomes.ts";
import type { OutputChunkWrite } from "../../db/queries/append-output-chunks.ts";
import type { TaskFinishedOutput, TaskOutputOutput, TaskStartedOutput } from "../../proto/index.ts";
import type { ConnectDeps } from "./connect-stream.ts";
import { capError, capTail } from "./hello-validation.ts";
import type { WorkerSession } from "./worker-session.ts";

export async function onStarted(session: WorkerSession, s: TaskStartedOutput, deps: ConnectDeps): Promise<void> {
  const ref = { taskId: s.task_id, attempt: s.attempt, workerId: session.id };
  if (await deps.reports.started({ ...ref, spawnedAtUs: spawnStamp(s.spawned_at_us) })) {
    deps.log.debug("task {taskId} attempt {attempt} running on {worker}", { taskId: s.task_id, attempt: s.attempt, worker: session.name });
    return;
  }
  // Not moved to running: a duplicate report is fine; an attempt that is no longer current must die.
  if ((await currentAttempts(deps.db, [ref])).size === 0) {
    deps.log.warn("refused start of task {taskId} attempt {attempt} on {worker}: no longer current; killing it", { taskId: s.task_id, attempt: s.attempt, worker: session.name });
    session.cancel(s.task_id, s.attempt, "attempt is no longer current");
  }
}

/** Years 2000 to 2200, in µs: a stamp outside is not a clock (0 from older workers), and must not fail the batch's write. */
const SPAWN_STAMP_RANGE_US = [946_684_800_000_000, 7_258_118_400_000_000] as const;

/** The worker's stamp of the spawn, or null when it sent none or one no clock gives. */
export function spawnStamp(us: number): number | null {
  return Number.isSafeInteger(us) && us >= SPAWN_STAMP_RANGE_US[0] && us <= SPAWN_STAMP_RANGE_US[1] ? us : null;
}

/**
 * Live output: chunks of attempts this session runs go to the output writer, whose
 * statement fences them like results (only an open attempt of this session takes
 * output). Chunks of attempts not in flight here are refused at once.
 */
export async function onOutput(session: WorkerSession, output: TaskOutputOutput, deps: ConnectDeps): Promise<void> {
  const writes: OutputChunkWrite[] = [];
  const refused = new Set<string>();
  for (const c of output.chunks) {
    const key = attemptKey(c.task_id, c.attempt);
    const stream = c.stream === "OUTPUT_STREAM_STDERR" ? "stderr" : c.stream === "OUTPUT_STREAM_STDOUT" ? "stdout" : null;
    if (!stream || c.data.length === 0) continue;
    if (!session.inflight.has(key)) refused.add(key);
    else writes.push({ taskId: c.task_id, attempt: c.attempt, workerId: session.id, stream, offset: c.offset, data: c.data });
  }
  for (const key of await deps.output.add(writes)) refused.add(key);
  for (const key of refused) deps.log.debug("refused output of attempt {attempt} from {worker}: not an open attempt of this session", { attempt: key, worker: session.name });
}

export async function onFinished(session: WorkerSession, f: TaskFinishedOutput, deps: ConnectDeps): Promise<void> {
  const key = attemptKey(f.task_id, f.attempt);
  // Output sent before the result lands first: the result closes the attempt to output.
  await deps.output.settled(f.task_id, f.attempt);
  const task = session.inflight.get(key);
  // An early exit, not a second rule: a result this session never dispatched cannot
  // be current. The fence that decides is the write's WHERE clause.
  if (!task) {
    deps.log.warn("refused result of task {taskId} attempt {attempt} from {worker}: not an attempt in flight to it", { taskId: f.task_id, attempt: f.attempt, worker: session.name });
    return;
  }
  const outcome = attemptOutcome({ kind: "finished", exitCode: f.exit_code ?? null, error: f.error ? capError(f.error) : null }, task);
  const write: AttemptOutcomeWrite = {
    taskId: f.task_id,
    attempt: f.attempt,
    workerId: session.id,
    ...outcome,
    exitCode: f.exit_code ?? null,
    stdoutTail: outputText(capTail(f.stdout_tail)),
    stderrTail: outputText(capTail(f.stderr_tail)),
    startedAt: f.started_at_ms ? new Date(f.started_at_ms) : null,
    runMs: f.started_at_ms && f.finished_at_ms ? Math.max(0, Number(f.finished_at_ms) - Number(f.started_at_ms)) : null,
  };
  // The worker freed the slot before reporting: refill it while the result is written,
  // so a slot's next claim overlaps this write instead of waiting for it.
  session.inflight.delete(key);
  const stopped = session.stopping.get(key);
  session.stopping.delete(key);
  const writing = deps.reports.finished(write);
  session.finishing.set(key, writing);
  deps.slotFreed();
  let applied: boolean;
  try {
    applied = await writing;
  } finally {
    session.finishing.delete(key);
  }
  // A retry's run_at is new to the dispatcher, whose timer must learn it (no NOTIFY announces it).
  if (applied && outcome.taskStatus === "scheduled") deps.wake();
  if (applied) {
    const status = outcome.taskStatus === "scheduled" ? "failed, retry scheduled" : outcome.taskStatus;
    deps.log.info("task {taskId} attempt {attempt} {status} on {worker}", { taskId: f.task_id, attempt: f.attempt, status, worker: session.name, exitCode: f.exit_code ?? null });
  } else if (stopped !== undefined) {
    // The end of an attempt this coordinator asked to kill: expected, and already recorded as cancelled.
    deps.log.debug("task {taskId} attempt {attempt} ended on {worker} after it was stopped ({reason})", { taskId: f.task_id, attempt: f.attempt, worker: session.name, reason: stopped });
  } else {
    deps.log.warn("refused result of task {taskId} attempt {attempt} from {worker}: the attempt is no longer current", { taskId: f.task_id, attempt: f.attempt, worker: session.name });
  }
}

/** Output tails as text: UTF-8 with replacement characters, and no NUL (PostgreSQL text cannot hold it). */
export function outputText(bytes: Buffer | Uint8Array | undefined): string | null {
  if (!bytes || bytes.length === 0) return null;
  return new TextDecoder("utf-8", { fatal: false }).decode(bytes).replaceAll("\u0000", "\uFFFD");
}
