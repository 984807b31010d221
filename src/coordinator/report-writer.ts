/**
 * Writes what workers report (attempt started, attempt finished) in batches: a
 * report is written at once unless writes of its kind are already under way, and
 * then goes out with the others that arrive meanwhile, in one statement.
 *
 * Starts and results have separate writers, so a start (whose statement sets the
 * started_at that submit-to-start latency ends at) never waits behind a batch of
 * results. An attempt's result is queued only once its own start is written, so
 * the attempt still records `running` before its outcome; except when the result
 * arrives while its start still waits for a statement: then the start is taken
 * back and folded into the result's write (recordAttemptOutcomes records `running`,
 * started by the database's clock at the run time the worker measured before the
 * result, and keeps the worker's spawn stamp; then the outcome), one write of the
 * task and attempt rows fewer.
 */
import { coerceError } from "../core/errors.ts";
import { MicroBatcher } from "../core/micro-batcher.ts";
import type { Db } from "../db/client.ts";
import { attemptKey } from "../core/attempt.ts";
import { markAttemptsStarted, type AttemptStart } from "../db/queries/mark-attempts-started.ts";
import { recordAttemptOutcomes, type AttemptOutcomeWrite } from "../db/queries/record-attempt-outcomes.ts";
import type { Logger } from "../log/logger.ts";

/** Reports per statement: keeps statements and NOTIFY fan-out reasonable. */
const MAX_BATCH = 500;
/**
 * Start statements at once: a start arriving while one is written need not wait
 * for it. Starts of different attempts touch different rows, so order between
 * them does not matter.
 */
const STARTS_IN_FLIGHT = 2;

/** The two statements, each taking a batch and returning the keys of the attempts it changed. */
export interface ReportWrites {
  starts(refs: AttemptStart[]): Promise<Set<string>>;
  outcomes(writes: AttemptOutcomeWrite[]): Promise<Set<string>>;
}

export function databaseWrites(db: Db): ReportWrites {
  return { starts: (refs) => markAttemptsStarted(db, refs), outcomes: (writes) => recordAttemptOutcomes(db, writes) };
}

export class ReportWriter {
  private readonly starts: MicroBatcher<AttemptStart, boolean>;
  private readonly outcomes: MicroBatcher<AttemptOutcomeWrite, boolean>;
  /** Start writes queued or under way, by attempt key: that attempt's result waits for its start, or takes it. */
  private readonly startsWriting = new Map<string, { ref: AttemptStart; writing: Promise<boolean> }>();

  constructor(writes: ReportWrites, log: Logger) {
    const onRetry = (err: unknown, n: number) =>
      log.warn("writing worker reports failed (try {n}), retrying: {error}", { n, error: coerceError(err).message });
    this.starts = new MicroBatcher(async (refs: AttemptStart[]) => {
      const started = await writes.starts(refs);
      return refs.map((r) => started.has(attemptKey(r.taskId, r.attempt)));
    }, { maxBatch: MAX_BATCH, maxInFlight: STARTS_IN_FLIGHT, onRetry });
    this.outcomes = new MicroBatcher(async (batch: AttemptOutcomeWrite[]) => {
      const applied = await writes.outcomes(batch);
      return batch.map((w) => applied.has(attemptKey(w.taskId, w.attempt)));
    }, { maxBatch: MAX_BATCH, onRetry });
  }

  /** Resolves true when the attempt moved to running (false: not current any more). */
  started(ref: AttemptStart): Promise<boolean> {
    const key = attemptKey(ref.taskId, ref.attempt);
    const writing = this.starts.add(ref);
    this.startsWriting.set(key, { ref, writing });
    const forget = () => {
      if (this.startsWriting.get(key)?.writing === writing) this.startsWriting.delete(key);
    };
    writing.then(forget, forget);
    return writing;
  }

  /** Resolves true when the outcome was applied to its task (false: refused by the fence, the attempt is not current). */
  async finished(outcome: AttemptOutcomeWrite): Promise<boolean> {
    const start = this.startsWriting.get(attemptKey(outcome.taskId, outcome.attempt));
    const taken = start ? this.starts.withdraw(start.ref) : null;
    if (start && taken) {
      // The start never reached a statement: it lands with the result, or not at all.
      const applied = this.outcomes.add({ ...outcome, foldedStart: { spawnedAtUs: start.ref.spawnedAtUs ?? null } });
      applied.then(taken.resolve, taken.reject);
      return applied;
    }
    // Whether the start landed or not, the result goes to the fence
    // (db/queries/record-attempt-outcomes.ts), which refuses it if the attempt is not current.
    if (start) await start.writing.catch(() => {});
    return this.outcomes.add(outcome);
  }

  /** Waits for queued reports to be written, up to the deadline. */
  async flush(deadlineMs: number): Promise<boolean> {
    const deadline = Date.now() + deadlineMs;
    const starts = await this.starts.idle(deadlineMs);
    // Results waiting for those starts are queued by now.
    await Bun.sleep(0);
    return (await this.outcomes.idle(Math.max(0, deadline - Date.now()))) && starts;
  }

  close(): void {
    this.starts.close();
    this.outcomes.close();
  }
}
