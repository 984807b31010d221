/**
 * The in-process shortcut from a committed submit to the claim loop. In a process
 * that runs both the scheduler and a coordinator (`--role=all`), the HTTP route
 * calls `committed()` right after its insert, and the dispatcher, subscribed here,
 * claims at once instead of waiting for its own NOTIFY to come back from
 * PostgreSQL. The NOTIFY still goes out, tagged with this process's `origin`, for
 * coordinators in other processes; the dispatcher skips the echo of its own, whose
 * wake it already had.
 *
 * @example
 * const wake = new SubmitWake();
 * const stop = wake.subscribe(() => dispatcher.wake());
 * await insertTasks(db, tasks, { origin: wake.origin }).finally(() => wake.committed());
 */
export class SubmitWake {
  /** Tags this process's wake NOTIFYs, so its own dispatcher can tell its echoes from others' submits. */
  readonly origin = crypto.randomUUID();
  private readonly listeners = new Set<() => void>();

  /** Calls `onCommitted` after each submit of this process; returns the unsubscribe function. */
  subscribe(onCommitted: () => void): () => void {
    this.listeners.add(onCommitted);
    return () => void this.listeners.delete(onCommitted);
  }

  /**
   * A submit's insert has ended (committed, or failed: a spurious wake costs one empty
   * pass, a missed one a task waiting for the poll). Call it after every insert that
   * carried `origin`, whatever its outcome, since the dispatcher ignores the echo.
   */
  committed(): void {
    for (const listener of this.listeners) listener();
  }
}
