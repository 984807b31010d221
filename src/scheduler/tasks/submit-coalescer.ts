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
import { MicroBatcher } from "../../core/micro-batcher.ts";
import type { InsertedTask, NewTask } from "../../db/queries/insert-tasks.ts";

export interface SubmitCoalescerOptions {
  /** Inserts that may run at once. */
  maxInFlight: number;
  /** Most submissions in one insert. */
  maxBatch: number;
}

/** One submission's own outcome: its task, or the error its request answers with. */
type Outcome = { task: InsertedTask } | { error: unknown };

/**
 * The batching is the shared MicroBatcher's. Its flush here never throws, so the
 * batcher's retry-until-written (right for worker reports) never applies: a failed
 * submission fails its request, which the client may send again.
 */
export class SubmitCoalescer {
  private readonly batcher: MicroBatcher<NewTask, Outcome>;

  constructor(
    /** Inserts tasks all or nothing, answering one entry per task in order (insertTasks). */
    insert: (tasks: NewTask[]) => Promise<InsertedTask[]>,
    opts: SubmitCoalescerOptions,
  ) {
    this.batcher = new MicroBatcher((tasks) => insertEachOutcome(insert, tasks), opts);
  }

  async submit(task: NewTask): Promise<InsertedTask> {
    const outcome = await this.batcher.add(task);
    if ("error" in outcome) throw outcome.error;
    return outcome.task;
  }
}

/** Inserts the tasks together; if that fails, each alone, so one bad task fails only itself. */
async function insertEachOutcome(insert: (tasks: NewTask[]) => Promise<InsertedTask[]>, tasks: NewTask[]): Promise<Outcome[]> {
  try {
    return (await insert(tasks)).map((task) => ({ task }));
  } catch (error) {
    if (tasks.length === 1) return [{ error }];
    return Promise.all(tasks.map((t) => insert([t]).then(([task]) => ({ task: task! }), (e: unknown) => ({ error: e }))));
  }
}
