/**
 * How the task routes insert a submission. Alone (a scheduler process), a plain
 * insert whose NOTIFY wakes the coordinators. Beside a coordinator (`--role=all`,
 * core/submit-wake.ts), the insert also wakes this process's dispatcher directly,
 * and when a local worker has a free slot for tasks due now, the dispatcher's claim
 * runs inside the insert's transaction and its tasks go out right after the commit.
 */
import type { SubmitClaim, SubmitClaimer, SubmitWake } from "../../core/submit-wake.ts";
import type { Db } from "../../db/client.ts";
import { insertTasks, type InsertedTask, type NewTask } from "../../db/queries/insert-tasks.ts";
import type { Executor } from "../../db/sql.ts";

export type InsertSubmitted = (items: NewTask[]) => Promise<InsertedTask[]>;

/** The insert for the task routes: plain without `submits`, else with the in-process wake and claim. */
export function submitInsert(db: Db, submits: SubmitWake<Executor> | null): InsertSubmitted {
  if (!submits) return (items) => insertTasks(db, items);
  return async (items) => {
    const queue = claimableQueue(items);
    const claimer = submits.claimer;
    // Concurrent submits also claim in their own transactions while a local worker has a free
    // slot; without one, the plain insert: the claim would find none.
    if (queue === null || !claimer?.hasFreeSlot(queue)) return await insertTasks(db, items, { origin: submits.origin }).finally(() => submits.committed());
    return await insertAndClaim(db, submits, claimer, queue, items);
  };
}

/** Inserts `items` and claims for a local worker in the same transaction; hands the claim over once it committed. */
async function insertAndClaim(db: Db, submits: SubmitWake<Executor>, claimer: SubmitClaimer<Executor>, queue: string, items: NewTask[]): Promise<InsertedTask[]> {
  let claim: SubmitClaim | null = null;
  let inserted: InsertedTask[];
  try {
    inserted = await db.transaction(async (tx) => {
      // Sent together on the transaction's connection: the claim runs after the insert and sees its
      // rows. Not on a reserved connection (BEGIN and COMMIT in the same round trip): postgres.js 3.4.9
      // hands one whose backend died out again (porsager/postgres#1199), and every statement given it hangs.
      const [made, claimed] = await Promise.all([insertTasks(tx as unknown as Db, items, { origin: submits.origin }), claimer.claimWithin(tx, queue, items.length)]);
      claim = claimed;
      return made;
    });
  } catch (err) {
    (claim as SubmitClaim | null)?.release();
    submits.committed();
    throw err;
  }
  const done = claim as SubmitClaim | null;
  if (done) await done.deliver();
  // A claim that came back short took every task due for its worker's queues, and one that took every
  // task of this submit left only tasks that wake the dispatcher themselves: a pass would find nothing new.
  if (!done || (done.full && !inserted.every((r) => done.taskIds.has(r.task.id)))) submits.committed();
  return inserted;
}

/**
 * The queue of a submission the claim may take at once: every item due now (no
 * run_at, no delay), in one queue, and claimable by any worker of it (no selector,
 * concurrency key, dependency, fanout or idempotency key, whose inserts have
 * transactions and rules of their own). Null otherwise.
 */
export function claimableQueue(items: NewTask[]): string | null {
  const queue = items[0]?.queue;
  if (queue === undefined) return null;
  const plain = (t: NewTask) =>
    t.queue === queue &&
    t.runAt === null &&
    t.delayMs === 0 &&
    t.idempotencyKey === null &&
    !t.concurrencyKey &&
    !t.dependsOn?.length &&
    !t.fanout &&
    !t.fanoutWorkers?.length &&
    (!t.selector || Object.keys(t.selector).length === 0);
  return items.every(plain) ? queue : null;
}
