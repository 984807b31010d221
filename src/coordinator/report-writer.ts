/**
 * Writes what workers report (attempt started, attempt finished) in batches: a
 * report is written at once unless writes of its kind are already under way, and
 * then goes out with the others that arrive meanwhile, in one statement.
 *
 * Starts and results have separate writers, so a start never waits behind a batch
 * of results. A start is held START_HOLD_MS before it goes to its writer: most
 * commands of a busy queue end within that, and a result arriving while its start
 * is held (or still waits for a statement) takes the start along, folded into the
 * result's write (recordAttemptOutcomes records `running`, started by the database's
 * clock at the run time the worker measured before the result, and keeps the
 * worker's spawn stamp; then the outcome): one write of the task and attempt rows,
 * one statement and one notice fewer per attempt. Otherwise an attempt's result is
 * queued only once its own start is written, so the attempt still records `running`
 * before its outcome.
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
/**
 * How long a start report waits before it is written, for its result to take it along.
 * The status shows `running` this much later for an attempt that outlives it, but its
 * started_at is dated back by the hold; one that ends within it records its start at
 * the run time the worker measured, so the times stay true. A `true` task spent 2–15 ms between its two reports on a loaded 2-core
 * machine; every start written on its own cost the database a third of its run-path CPU.
 */
export const START_HOLD_MS = 10;

/** A start report held before its write (START_HOLD_MS). */
interface HeldStart {
  ref: AttemptStart;
  /** When it arrived (performance.now()). */
  at: number;
  answer: Promise<boolean>;
  resolve: (moved: boolean) => void;
  reject: (err: unknown) => void;
}

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
  /** Starts held before their write, by attempt key, in arrival order. */
  private readonly held = new Map<string, HeldStart>();
  private holdTimer: Timer | null = null;

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
    const already = this.held.get(key);
    if (already) return already.answer;
    let settle!: Pick<HeldStart, "resolve" | "reject">;
    const answer = new Promise<boolean>((resolve, reject) => (settle = { resolve, reject }));
    this.held.set(key, { ref, at: performance.now(), answer, ...settle });
    this.holdTimer ??= setTimeout(() => this.releaseHeld(START_HOLD_MS), START_HOLD_MS);
    return answer;
  }

  /**
   * Hands the starts held at least `minAgeMs` to their writer, together (one statement), and
   * sets the timer for the next. Within a millisecond of their time counts as due, so starts
   * that arrived together leave together.
   */
  private releaseHeld(minAgeMs: number): void {
    this.holdTimer = null;
    const now = performance.now();
    const due: HeldStart[] = [];
    for (const [key, h] of this.held) {
      if (now - h.at < minAgeMs - 1) break;
      this.held.delete(key);
      due.push(h);
    }
    if (due.length > 0) this.write(due);
    const next = this.held.values().next().value;
    if (next) this.holdTimer = setTimeout(() => this.releaseHeld(START_HOLD_MS), Math.max(1, START_HOLD_MS - (now - next.at)));
  }

  private write(due: HeldStart[]): void {
    const now = performance.now();
    // Dated back by the hold, so started_at stays when the report arrived (mark-attempts-started.ts).
    const refs = due.map((h) => ({ ...h.ref, heldMs: now - h.at }));
    const writings = this.starts.addAll(refs);
    due.forEach((h, i) => {
      const key = attemptKey(h.ref.taskId, h.ref.attempt);
      const writing = writings[i]!;
      // The very object queued: a result withdraws it by identity.
      this.startsWriting.set(key, { ref: refs[i]!, writing });
      const forget = () => {
        if (this.startsWriting.get(key)?.writing === writing) this.startsWriting.delete(key);
      };
      writing.then(forget, forget);
      writing.then(h.resolve, h.reject);
    });
  }

  /** Resolves true when the outcome was applied to its task (false: refused by the fence, the attempt is not current). */
  async finished(outcome: AttemptOutcomeWrite): Promise<boolean> {
    const key = attemptKey(outcome.taskId, outcome.attempt);
    const held = this.held.get(key);
    if (held) {
      // Its start was never sent: it lands with the result, or not at all.
      this.held.delete(key);
      const applied = this.outcomes.add({ ...outcome, foldedStart: { spawnedAtUs: held.ref.spawnedAtUs ?? null } });
      applied.then(held.resolve, held.reject);
      return applied;
    }
    const start = this.startsWriting.get(key);
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
    clearTimeout(this.holdTimer ?? undefined);
    this.releaseHeld(0);
    const starts = await this.starts.idle(deadlineMs);
    // Results waiting for those starts are queued by now.
    await Bun.sleep(0);
    return (await this.outcomes.idle(Math.max(0, deadline - Date.now()))) && starts;
  }

  close(): void {
    clearTimeout(this.holdTimer ?? undefined);
    this.holdTimer = null;
    for (const h of this.held.values()) h.reject(new Error("report writer closed"));
    this.held.clear();
    this.starts.close();
    this.outcomes.close();
  }
}
