/**
 * Coalesces concurrent single submissions (POST /api/tasks without an
 * idempotency key) into one insert statement. A submission goes out at once
 * while fewer than `maxInFlight` inserts are under way; those arriving while all
 * are busy wait and go out together when one ends. So a lone submission never
 * waits, and batching happens only under load.
 *
 * Why: every submit commits a NOTIFY (the wake-up and the task_events trigger),
 * and PostgreSQL serialises the commits of notifying transactions (one global
 * lock from pre-commit to the end of the commit, WAL flush included), so single
 * inserts from many clients cannot share a WAL flush as plain inserts do. One
 * statement for many submissions pays that commit once.
 *
 * Each submission keeps its own outcome: if a shared insert fails, each of its
 * submissions is inserted again alone, so one bad task fails only its request.
 */
import type { InsertedTask, NewTask } from "../../db/queries/insert-tasks.ts";

export interface SubmitCoalescerOptions {
  /** Inserts that may run at once. */
  maxInFlight: number;
  /** Most submissions in one insert. */
  maxBatch: number;
}

interface Waiting {
  task: NewTask;
  resolve: (r: InsertedTask) => void;
  reject: (e: unknown) => void;
}

export class SubmitCoalescer {
  private waiting: Waiting[] = [];
  private inFlight = 0;

  constructor(
    /** Inserts tasks all or nothing, answering one entry per task in order (insertTasks). */
    private readonly insert: (tasks: NewTask[]) => Promise<InsertedTask[]>,
    private readonly opts: SubmitCoalescerOptions,
  ) {}

  submit(task: NewTask): Promise<InsertedTask> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ task, resolve, reject });
      this.startInserts();
    });
  }

  private startInserts(): void {
    while (this.waiting.length > 0 && this.inFlight < this.opts.maxInFlight) {
      const batch = this.waiting.splice(0, this.opts.maxBatch);
      this.inFlight++;
      void this.write(batch).finally(() => {
        this.inFlight--;
        this.startInserts();
      });
    }
  }

  private async write(batch: Waiting[]): Promise<void> {
    try {
      const results = await this.insert(batch.map((w) => w.task));
      batch.forEach((w, i) => w.resolve(results[i]!));
    } catch (err) {
      if (batch.length === 1) return batch[0]!.reject(err);
      await Promise.all(batch.map((w) => this.insert([w.task]).then(([r]) => w.resolve(r!), w.reject)));
    }
  }
}
