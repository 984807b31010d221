/**
 * The in-process shortcuts from a submit to the claim, for a process that runs both
 * the scheduler and a coordinator (`--role=all`):
 *
 * - **Wake.** The HTTP route calls `committed()` right after its insert, and the
 *   dispatcher, subscribed here, claims at once instead of waiting for its own
 *   NOTIFY to come back from PostgreSQL. The NOTIFY still goes out, tagged with
 *   this process's `origin`, for coordinators in other processes; the dispatcher
 *   skips the echo of its own, whose wake it already had.
 * - **Claim in the submit's transaction.** When a worker of this process has a free
 *   slot for the queue, the route runs the ordinary claim (`claimer`, the dispatcher's)
 *   inside the insert's transaction and hands the claimed tasks over after the commit:
 *   one commit (one WAL flush, one NOTIFY lock) and one claim round trip fewer between
 *   a submit and its spawn. Concurrent submits each claim this way as well.
 *
 * `Tx` is the database transaction type (kept generic: core knows no database).
 *
 * @example
 * const wake = new SubmitWake();
 * const stop = wake.subscribe(() => dispatcher.wake());
 * await insertTasks(db, tasks, { origin: wake.origin }).finally(() => wake.committed());
 */
export class SubmitWake<Tx = unknown> {
  /** Tags this process's wake NOTIFYs, so its own dispatcher can tell its echoes from others' submits. */
  readonly origin = crypto.randomUUID();
  /** The dispatcher of this process, when it claims inside submits' transactions. */
  claimer: SubmitClaimer<Tx> | null = null;
  private readonly listeners = new Set<() => void>();

  /** Calls `onCommitted` after each submit of this process; returns the unsubscribe function. */
  subscribe(onCommitted: () => void): () => void {
    this.listeners.add(onCommitted);
    return () => void this.listeners.delete(onCommitted);
  }

  /**
   * A submit's insert has ended (committed, or failed: a spurious wake costs one empty
   * pass, a missed one a task waiting for the poll). Call it after every insert that
   * carried `origin`, whatever its outcome, since the dispatcher ignores the echo. The
   * exceptions are submits whose own claim left nothing new for a pass to find: one that
   * came back short (SubmitClaim.full false) took every due task, and one that took every
   * task the submit made left only tasks whose own wakes (their submits, timers, freed
   * slots) call the dispatcher.
   */
  committed(): void {
    for (const listener of this.listeners) listener();
  }
}

/** Claims for this process's free worker slots inside a submit's transaction. */
export interface SubmitClaimer<Tx> {
  /** Whether a local worker serving `queue` has a free slot now (else a submit need not claim). */
  hasFreeSlot(queue: string): boolean;
  /**
   * Reserves up to `count` free slots of one local worker serving `queue` and runs the
   * claim for them in `tx`; null when no local worker has a free slot for it.
   */
  claimWithin(tx: Tx, queue: string, count: number): Promise<SubmitClaim | null>;
}

/** A claim made inside a submit's transaction; exactly one of its two ends must be called. */
export interface SubmitClaim {
  /** Whether it filled every slot it reserved: more due tasks may wait, so the dispatcher should look. */
  readonly full: boolean;
  /** The ids of the tasks it claimed. */
  readonly taskIds: ReadonlySet<string>;
  /** The transaction committed: send the claimed tasks to their worker. */
  deliver(): Promise<void>;
  /** The transaction rolled back: give the reserved slots back. */
  release(): void;
}
