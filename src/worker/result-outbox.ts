/**
 * Result outbox: every TaskFinished stays here until the coordinator has surely
 * received it, so no result is lost to a dropped stream. A write callback proves
 * nothing (grpc-js reports success for writes on a stream that already died), so an
 * entry counts as delivered only once the stream it went out on has stayed up for a
 * while afterwards, or ended cleanly. Until then it is listed in the Hello's
 * `running`, so a resumed session expects it, and it is sent again after each
 * Welcome; the coordinator fences duplicates. A result confirmed by time and lost
 * anyway (a silent network partition) still costs no task: the coordinator fails the
 * attempt as lost and retries it.
 */
import { attemptKey } from "../core/attempt.ts";
import type { RunningTask, TaskFinished } from "../proto/index.ts";

/** A finished attempt's report, with the identity fields the outbox needs. */
export interface FinishedReport extends TaskFinished {
  task_id: string;
  attempt: number;
  started_at_ms: number;
  finished_at_ms: number;
}

interface Entry {
  report: FinishedReport;
  /** When it was last written on the current stream; null while it waits to be (re)sent. */
  sentAt: number | null;
}

export class ResultOutbox {
  readonly #entries = new Map<string, Entry>();
  /**
   * The entries waiting to be (re)sent, oldest first. Kept apart because sent
   * entries stay for seconds until confirmed: at hundreds of results a second,
   * scanning all of them on every result cost the worker ~15 % of its CPU.
   */
  #unsent = new Map<string, Entry>();

  get size(): number {
    return this.#entries.size;
  }

  has(taskId: string, attempt: number): boolean {
    return this.#entries.has(attemptKey(taskId, attempt));
  }

  /** Queues a result; a second result for the same attempt replaces the first. */
  add(report: FinishedReport): void {
    const key = attemptKey(report.task_id, report.attempt);
    const entry: Entry = { report, sentAt: null };
    this.#entries.set(key, entry);
    this.#unsent.set(key, entry);
  }

  /** Results waiting to be written, oldest first. */
  unsent(): FinishedReport[] {
    return [...this.#unsent.values()].map((e) => e.report);
  }

  markSent(report: FinishedReport, now: number): void {
    const key = attemptKey(report.task_id, report.attempt);
    const entry = this.#entries.get(key);
    if (entry) entry.sentAt = now;
    this.#unsent.delete(key);
  }

  /** Drops results written at least `afterMs` ago on the stream that is still up; returns how many. */
  confirmOlderThan(afterMs: number, now: number): number {
    let n = 0;
    for (const [key, e] of this.#entries) {
      if (e.sentAt !== null && now - e.sentAt >= afterMs) {
        this.#entries.delete(key);
        n++;
      }
    }
    return n;
  }

  /** The stream ended cleanly after these writes, so the coordinator read them all. */
  confirmSent(): number {
    return this.confirmOlderThan(0, Number.POSITIVE_INFINITY);
  }

  /** The stream was lost: everything written on it may not have arrived, so send it again. */
  requeue(): void {
    for (const e of this.#entries.values()) e.sentAt = null;
    this.#unsent = new Map(this.#entries);
  }

  /** Attempts whose results are not known to be delivered, for the Hello's `running`. */
  undelivered(): RunningTask[] {
    return [...this.#entries.values()].map(({ report }) => ({
      task_id: report.task_id,
      attempt: report.attempt,
      started_at_ms: report.started_at_ms,
    }));
  }
}
