/**
 * Inserts validated tasks: all or nothing, one statement per concern for the
 * whole call (insert-tasks/*). Without idempotency keys, dependencies or fanout
 * that is the row insert alone: one round trip, no transaction. Otherwise one
 * transaction: lock the dependencies, insert the rows, record the edges, insert
 * the fanout children, read back the tasks whose keys were already known.
 *
 * Idempotency keys go through the unique index with `on conflict do nothing`, so
 * any number of concurrent submissions of one key make exactly one task; the
 * others read the winner's row in a later statement of the same transaction
 * (which, in READ COMMITTED, sees the winner's commit).
 */
import type { Db } from "../client.ts";
import type { TaskRow } from "../schema/index.ts";
import { insertDependencies, lockDependencies } from "./insert-tasks/dependencies.ts";
import { fanoutChildren } from "./insert-tasks/fanout-children.ts";
import { insertTaskRows } from "./insert-tasks/insert-task-rows.ts";
import { keysNotInserted, tasksWithKeys } from "./insert-tasks/known-keys.ts";
import type { InsertedTask, NewTask } from "./insert-tasks/new-task.ts";
import { planRows, type RowPlan } from "./insert-tasks/row-plan.ts";

export type { InsertedTask, NewTask } from "./insert-tasks/new-task.ts";

export interface InsertOptions {
  /** Tags the wake NOTIFY (core/submit-wake.ts): the process whose dispatcher was woken directly; null: none was. */
  origin?: string | null;
}

/**
 * Inserts `input` and answers one entry per item, in input order. An item whose
 * idempotency key is already known, or repeats the key of an earlier item in the
 * same call, gets that earlier task with `created: false`. All or nothing.
 */
export async function insertTasks(db: Db, input: NewTask[], opts: InsertOptions = {}): Promise<InsertedTask[]> {
  if (input.length === 0) return [];
  const origin = opts.origin ?? null;
  const plan = planRows(input);
  const dependent = plan.rows.some((r) => r.depends_on.length > 0);
  const children = fanoutChildren(plan.rows);
  if (plan.firstIndexOfKey.size === 0 && !dependent && children.length === 0) return answer(input, plan, await insertTaskRows(db, plan.rows, origin), []);
  return db.transaction(async (tx) => {
    const finished = dependent ? await lockDependencies(tx, input, plan) : new Set<string>();
    const created = await insertTaskRows(tx, plan.rows, origin);
    if (dependent) await insertDependencies(tx, plan.rows, created, finished);
    // A parent whose idempotency key was already known made no new task: its children are not made either.
    const parents = new Set(created.map((t) => t.id));
    const kids = children.filter((c) => parents.has(c.parent_id!));
    if (kids.length > 0) await insertTaskRows(tx, kids, origin);
    return answer(input, plan, created, await tasksWithKeys(tx, keysNotInserted(plan.rows, created)));
  });
}

/** Each item's entry: its own new task, or the task that already had its key (`known`). */
function answer(input: NewTask[], plan: RowPlan, created: TaskRow[], known: TaskRow[]): InsertedTask[] {
  // Without keys every item made its own row, and created lists them in input order.
  if (plan.firstIndexOfKey.size === 0 && created.length === input.length) return created.map((task) => ({ task, created: true }));
  const byId = new Map(created.map((t) => [t.id, t]));
  const byKey = new Map(known.map((t) => [t.idempotencyKey!, t]));
  return input.map((item, i) => {
    const first = item.idempotencyKey === null ? i : plan.firstIndexOfKey.get(item.idempotencyKey)!;
    const own = byId.get(plan.idOf[first]!);
    const task = own ?? byKey.get(item.idempotencyKey!);
    // Only possible if the conflicting row was deleted between the two statements.
    if (!task) throw new Error(`the task with idempotency key ${JSON.stringify(item.idempotencyKey)} vanished during the insert`);
    return { task, created: own !== undefined && first === i };
  });
}
