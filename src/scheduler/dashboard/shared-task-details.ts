/**
 * Task details (the task with its attempts and timeline) for live task pages,
 * loaded once per change of the task however many pages show it: every stream
 * that hears of change `seq` asks for "at least as new as seq" and shares the
 * one load made for it.
 */

export class SharedTaskDetails<V> {
  private readonly entries = new Map<string, { version: number; value: Promise<V> }>();
  /** Loads started (for tests and the query-cost evidence). */
  loads = 0;

  constructor(
    private readonly load: (id: string) => Promise<V>,
    /** Tasks remembered; the least recently asked for are forgotten first. */
    private readonly maxEntries = 1000,
  ) {}

  /** Forgets what was loaded for task `id`: it changed without a feed batch (an attempt's end after a cancel). */
  invalidate(id: string): void {
    this.entries.delete(id);
  }

  /** The detail of task `id` as of feed batch `version` or later. */
  get(id: string, version: number): Promise<V> {
    const found = this.entries.get(id);
    if (found && found.version >= version) {
      // Refresh its place in the recency order.
      this.entries.delete(id);
      this.entries.set(id, found);
      return found.value;
    }
    this.loads++;
    const value = this.load(id);
    this.entries.delete(id);
    this.entries.set(id, { version, value });
    // A failed load is not remembered: the next change (or reconnect) tries again.
    value.catch(() => {
      if (this.entries.get(id)?.value === value) this.entries.delete(id);
    });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }
}
