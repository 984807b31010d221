/**
 * Writes what workers report (attempt started, attempt finished) in batches: every
 * report arriving while a write is in flight goes out in the next single statement.
 * Starts are written before finishes of the same batch, so an attempt that starts
 * and ends within one batch still records `running` before its outcome.
 */
import { MicroBatcher } from "../core/micro-batcher.ts";
import type { Db } from "../db/client.ts";
import { applyAttemptOutcomes, attemptKey, type AttemptOutcomeWrite } from "../db/queries/apply-attempt-outcomes.ts";
import { markAttemptsStarted, type AttemptRef } from "../db/queries/mark-attempts-started.ts";
import type { Logger } from "../log/logger.ts";

type Report = { kind: "started"; ref: AttemptRef } | { kind: "finished"; outcome: AttemptOutcomeWrite };

/** Reports per statement: keeps statements and NOTIFY fan-out reasonable. */
const MAX_BATCH = 500;

export class ReportWriter {
  private readonly batcher: MicroBatcher<Report, boolean>;

  constructor(db: Db, log: Logger) {
    this.batcher = new MicroBatcher<Report, boolean>((batch) => writeBatch(db, batch), {
      maxBatch: MAX_BATCH,
      onRetry: (err, n) => log.warn("writing worker reports failed (try {n}), retrying: {error}", { n, error: String((err as Error)?.message ?? err) }),
    });
  }

  /** Resolves true when the attempt moved to running (false: not current any more). */
  started(ref: AttemptRef): Promise<boolean> {
    return this.batcher.add({ kind: "started", ref });
  }

  /** Resolves true when the outcome was applied to its task (false: a stale attempt, refused). */
  finished(outcome: AttemptOutcomeWrite): Promise<boolean> {
    return this.batcher.add({ kind: "finished", outcome });
  }

  /** Waits for queued reports to be written, up to the deadline. */
  flush(deadlineMs: number): Promise<boolean> {
    return this.batcher.idle(deadlineMs);
  }

  close(): void {
    this.batcher.close();
  }
}

async function writeBatch(db: Db, batch: Report[]): Promise<boolean[]> {
  const starts = batch.flatMap((r) => (r.kind === "started" ? [r.ref] : []));
  const outcomes = batch.flatMap((r) => (r.kind === "finished" ? [r.outcome] : []));
  const { started, applied } = await writeReports(db, starts, outcomes);
  return batch.map((r) =>
    r.kind === "started" ? started.has(attemptKey(r.ref.taskId, r.ref.attempt)) : applied.has(attemptKey(r.outcome.taskId, r.outcome.attempt)),
  );
}

/**
 * A batch of one kind is a single statement, atomic by itself, so it skips the
 * BEGIN and COMMIT round trips (most batches are: a start and its result rarely
 * arrive together). A mixed batch is one transaction, so a retried batch never
 * finds its own starts already applied.
 */
async function writeReports(db: Db, starts: AttemptRef[], outcomes: AttemptOutcomeWrite[]): Promise<{ started: Set<string>; applied: Set<string> }> {
  if (outcomes.length === 0) return { started: await markAttemptsStarted(db, starts), applied: new Set() };
  if (starts.length === 0) return { started: new Set(), applied: await applyAttemptOutcomes(db, outcomes) };
  return db.transaction(async (tx) => ({
    started: await markAttemptsStarted(tx, starts),
    applied: await applyAttemptOutcomes(tx, outcomes),
  }));
}
