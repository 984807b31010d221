/**
 * Inserts validated tasks, their `created` and `scheduled` events and a wake-up
 * NOTIFY for the queues involved, all in one statement: one round trip, prepared
 * on PostgreSQL. Idempotency keys go through the unique index with
 * `on conflict do nothing`, so any number of concurrent submissions of one key
 * make exactly one task; the others read the winner's row in a second statement
 * of the same transaction (which, in READ COMMITTED, sees the winner's commit).
 * Without keys there is nothing to read back and no transaction.
 *
 * The rows travel as one JSON parameter expanded by json_to_recordset: for a
 * batch of 1000 that is several times faster than a VALUES list of 15,000
 * parameters, most of whose cost is building and binding the parameters, and
 * the statement text is the same for any number of rows.
 */
import { sql } from "drizzle-orm";
import { executePrepared, type Db } from "../client.ts";
import { WAKE_CHANNEL } from "../channels.ts";
import { tasks, type TaskRow } from "../schema/index.ts";
import { type Executor, rows as resultRows, statusSql, uuidArray } from "../sql.ts";
import { ValidationError, type FieldProblem } from "../../core/errors.ts";
import { isTerminal, type TaskStatus } from "../../core/task-status.ts";

/** A task as submitted, already validated and with defaults applied. */
export interface NewTask {
  name: string;
  command: string;
  env: Record<string, string>;
  queue: string;
  priority: number;
  /** An explicit start time; null means the database's now() plus `delayMs`. */
  runAt: Date | null;
  delayMs: number;
  maxRetries: number;
  backoffMs: number;
  backoffFactor: number;
  backoffMaxMs: number;
  timeoutMs: number | null;
  idempotencyKey: string | null;
  scheduleId?: string | null;
  /** Who submitted it ("api", "dashboard"), recorded on its `created` event; null or absent: not recorded. */
  createdBy?: string | null;
  /** At most concurrencyLimit tasks with this key are picked or running at once; null: no key. */
  concurrencyKey?: string | null;
  concurrencyLimit?: number;
  /** Tasks this one runs after: ids of existing tasks, or (a number) the index of an earlier item of the same call. */
  dependsOn?: (string | number)[];
  /** What a failed or cancelled dependency does: cancel this task, or run it anyway. */
  onDependencyFailure?: "cancel" | "run";
  /** Labels a worker must have to take it (docs/placement.md); null or absent: any worker. */
  selector?: Record<string, string> | null;
  /** Free-form metadata; never decides where it runs. */
  labels?: Record<string, string>;
  /** "all" or a number of workers: the task becomes a parent of one child per worker in fanoutWorkers. */
  fanout?: "all" | number | null;
  /** A pinned child's retry: on its own worker (same) or any matching one (any). */
  fanoutRetry?: "same" | "any";
  /** The workers the fanout's children are pinned to, chosen at submit or tick time (core/fanout.ts). */
  fanoutWorkers?: string[];
}

export interface InsertOptions {
  /** Tags the wake NOTIFY (core/submit-wake.ts): the process whose dispatcher was woken directly; null: none was. */
  origin?: string | null;
}

export interface InsertedTask {
  task: TaskRow;
  /** False when the idempotency key was already known and `task` is the earlier one. */
  created: boolean;
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
  if (plan.firstIndexOfKey.size === 0 && !dependent && children.length === 0) return answer(input, plan, await insertRows(db, plan.rows, origin), []);
  return db.transaction(async (tx) => {
    const finished = dependent ? await lockDependencies(tx, input, plan) : new Set<string>();
    const created = await insertRows(tx, plan.rows, origin);
    if (dependent) await insertDependencies(tx, plan.rows, created, finished);
    // A parent whose idempotency key was already known made no new task: its children are not made either.
    const parents = new Set(created.map((t) => t.id));
    const kids = children.filter((c) => parents.has(c.parent_id!));
    if (kids.length > 0) await insertRows(tx, kids, origin);
    return answer(input, plan, created, await tasksWithKeys(tx, keysNotInserted(plan.rows, created)));
  });
}

/** Each item's entry: its own new task, or the task that already had its key (`known`). */
function answer(input: NewTask[], plan: RowPlan, created: TaskRow[], known: TaskRow[]): InsertedTask[] {
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

/** One row as sent to json_to_recordset; keys are the column names of insertSql's record type. */
interface RowJson {
  id: string;
  name: string;
  command: string;
  env: Record<string, string>;
  queue: string;
  priority: number;
  run_at: string | null;
  delay_ms: number;
  max_retries: number;
  backoff_ms: number;
  backoff_factor: number;
  backoff_max_ms: number;
  timeout_ms: number | null;
  idempotency_key: string | null;
  schedule_id: string | null;
  created_by: string | null;
  concurrency_key: string | null;
  concurrency_limit: number;
  on_dependency_failure: "cancel" | "run";
  /** Resolved ids; blocked_by (how many are unfinished) is set by lockDependencies. */
  depends_on: string[];
  blocked_by: number;
  /** A later row of the same call depends on it. */
  has_dependents: boolean;
  selector: Record<string, string> | null;
  labels: Record<string, string>;
  fanout: string | null;
  fanout_retry: "same" | "any";
  pinned_worker: string | null;
  parent_id: string | null;
  /** Workers to pin this parent's children to (not a column). */
  fanout_workers?: string[];
}

interface RowPlan {
  /** Rows to insert: every item, except later repeats of a key within the call. */
  rows: RowJson[];
  /** The id given to each item's row (undefined for repeats of a key). */
  idOf: (string | undefined)[];
  /** idempotency key → index of the first item that carries it. */
  firstIndexOfKey: Map<string, number>;
}

/**
 * Gives each row its id up front, so rows map back to items without relying on
 * any result order. Rows stay in request order: insertRows numbers them in it.
 */
function planRows(input: NewTask[]): RowPlan {
  const rows: RowJson[] = [];
  const idOf: (string | undefined)[] = [];
  const firstIndexOfKey = new Map<string, number>();
  input.forEach((t, i) => {
    if (t.idempotencyKey !== null) {
      if (firstIndexOfKey.has(t.idempotencyKey)) {
        idOf.push(undefined);
        return;
      }
      firstIndexOfKey.set(t.idempotencyKey, i);
    }
    const row = toRowJson(t);
    idOf.push(row.id);
    rows.push(row);
  });
  // Same-call references become ids now that every row has one (validation lets them point only to earlier, unkeyed items).
  for (const [i, t] of input.entries()) {
    if (!t.dependsOn?.length) continue;
    const row = idOf[i] === undefined ? undefined : rows.find((r) => r.id === idOf[i]);
    if (row) row.depends_on = [...new Set((t.dependsOn ?? []).map((d) => (typeof d === "number" ? idOf[d]! : d)))];
  }
  return { rows, idOf, firstIndexOfKey };
}

function toRowJson(t: NewTask): RowJson {
  return {
    id: crypto.randomUUID(),
    name: t.name,
    command: t.command,
    env: t.env,
    queue: t.queue,
    priority: t.priority,
    run_at: t.runAt ? t.runAt.toISOString() : null,
    delay_ms: t.delayMs,
    max_retries: t.maxRetries,
    backoff_ms: t.backoffMs,
    backoff_factor: t.backoffFactor,
    backoff_max_ms: t.backoffMaxMs,
    timeout_ms: t.timeoutMs,
    idempotency_key: t.idempotencyKey,
    schedule_id: t.scheduleId ?? null,
    created_by: t.createdBy ?? null,
    concurrency_key: t.concurrencyKey ?? null,
    concurrency_limit: t.concurrencyLimit ?? 1,
    on_dependency_failure: t.onDependencyFailure ?? "cancel",
    depends_on: [],
    // A fanout parent waits for its children (drizzle/0012_placement.sql keeps the count).
    blocked_by: t.fanoutWorkers?.length ?? 0,
    has_dependents: false,
    selector: t.selector && Object.keys(t.selector).length > 0 ? t.selector : null,
    labels: t.labels ?? {},
    fanout: t.fanout === undefined || t.fanout === null ? null : String(t.fanout),
    fanout_retry: t.fanoutRetry ?? "same",
    pinned_worker: null,
    parent_id: null,
    fanout_workers: t.fanoutWorkers,
  };
}

/** The child rows of fanout parents: one per chosen worker, pinned to it, otherwise the parent's definition. */
function fanoutChildren(rows: RowJson[]): RowJson[] {
  return rows.flatMap((p) =>
    (p.fanout_workers ?? []).map((worker) => ({
      ...p,
      id: crypto.randomUUID(),
      name: childName(p.name, worker),
      idempotency_key: null,
      depends_on: [],
      blocked_by: 0,
      has_dependents: false,
      fanout: null,
      fanout_workers: undefined,
      pinned_worker: worker,
      parent_id: p.id,
      created_by: null,
    })),
  );
}

/** "backup on db-1", within the name limit. */
function childName(parent: string, worker: string): string {
  const suffix = ` on ${worker}`;
  return parent.length + suffix.length <= 200 ? parent + suffix : `${parent.slice(0, Math.max(1, 199 - suffix.length))}…${suffix}`.slice(0, 200);
}

/**
 * Marks the existing tasks the rows depend on `has_dependents`, which locks them (a
 * dependency cannot finish until this transaction commits, and one that finished is
 * read as it now is; locked in id order, so concurrent submissions cannot deadlock),
 * refuses ids that name no task, and sets each row's blocked_by: its dependencies not
 * yet finished, counting those of the same call. Returns the dependencies already finished.
 */
async function lockDependencies(tx: Executor, input: NewTask[], plan: RowPlan): Promise<Set<string>> {
  const own = new Set(plan.rows.map((r) => r.id));
  const external = [...new Set(plan.rows.flatMap((r) => r.depends_on).filter((id) => !own.has(id)))];
  const found = resultRows<{ id: string; status: string }>(
    await tx.execute(sql`
      update tasks set has_dependents = true
      where id in (select id from tasks where id = any(${uuidArray(external)}::uuid[]) order by id for no key update)
      returning id, status`),
  );
  const statusOf = new Map(found.map((r) => [r.id, r.status as TaskStatus]));
  const missing = missingDependencies(input, statusOf, own);
  if (missing.length > 0) throw new ValidationError("depends_on names tasks that do not exist", missing);
  const finished = new Set(found.filter((r) => isTerminal(r.status as TaskStatus)).map((r) => r.id));
  for (const r of plan.rows) r.blocked_by = r.depends_on.filter((id) => !finished.has(id)).length;
  const parents = new Set(plan.rows.flatMap((r) => r.depends_on));
  for (const r of plan.rows) r.has_dependents = parents.has(r.id);
  return finished;
}

function missingDependencies(input: NewTask[], statusOf: Map<string, TaskStatus>, own: Set<string>): FieldProblem[] {
  const problems: FieldProblem[] = [];
  input.forEach((t, i) =>
    (t.dependsOn ?? []).forEach((d, j) => {
      if (typeof d === "string" && !statusOf.has(d.toLowerCase()) && !own.has(d)) {
        problems.push({ path: `${input.length > 1 ? `/tasks/${i}` : ""}/depends_on/${j}`, message: `no task with id ${d}` });
      }
    }),
  );
  return problems;
}

/** The run-after edges of the rows that were inserted; edges to finished tasks are recorded as done. */
async function insertDependencies(tx: Executor, rows: RowJson[], created: TaskRow[], finished: Set<string>): Promise<void> {
  const ids = new Set(created.map((t) => t.id));
  const edges = rows
    .filter((r) => ids.has(r.id))
    .flatMap((r) => r.depends_on.map((d) => ({ task_id: r.id, depends_on: d, done: finished.has(d) })));
  if (edges.length === 0) return;
  await tx.execute(sql`
    insert into task_dependencies (task_id, depends_on, done)
    select task_id, depends_on, done from json_to_recordset(${json(edges)}) as e(task_id uuid, depends_on uuid, done boolean)`);
}

/**
 * Inserts the rows (keyed rows whose key exists are skipped), numbered in the
 * given order by the tasks_seq sequence (the lists' tie-break: a batch shares one
 * created_at, so this is what keeps it in request order), with their events,
 * wakes the coordinators of their queues (a WakeUp naming `origin`), and returns
 * the new tasks.
 * Without run_at a task is due at the database's now() + delay_ms, never the
 * scheduler's clock. The NOTIFY goes out in chunks of 100 queue names (≤ 6.8 kB,
 * under PostgreSQL's 8000-byte payload cap), only for queues that got a task.
 * Only what the database decided comes back (newTaskRow adds the rest): for a
 * batch of 1000, whole rows cost ~10 ms of a ~50 ms statement, and decoding
 * them a quarter of the route's CPU.
 */
async function insertRows(db: Executor, rows: RowJson[], origin: string | null): Promise<TaskRow[]> {
  const result = await executePrepared(db, sql`
    with input as (
      -- Numbered here, as json_to_recordset yields the rows (in request order): item i's seq is below item i+1's.
      select nextval('tasks_seq') as seq, * from rows from (json_to_recordset(${json(rows)}) as (
        id uuid, name text, command text, env jsonb, queue text, priority int, run_at timestamptz, delay_ms bigint,
        max_retries int, backoff_ms bigint, backoff_factor float8, backoff_max_ms bigint, timeout_ms bigint,
        idempotency_key text, schedule_id uuid, created_by text, concurrency_key text, concurrency_limit int, on_dependency_failure text,
        blocked_by int, has_dependents boolean,
        selector jsonb, labels jsonb, fanout text, fanout_retry text, pinned_worker text, parent_id uuid)) with ordinality as x(
        id, name, command, env, queue, priority, run_at, delay_ms, max_retries, backoff_ms, backoff_factor,
        backoff_max_ms, timeout_ms, idempotency_key, schedule_id, created_by, concurrency_key, concurrency_limit,
        on_dependency_failure, blocked_by, has_dependents,
        selector, labels, fanout, fanout_retry, pinned_worker, parent_id, ord)
    ), ins as (
      insert into tasks (seq, id, name, command, env, queue, priority, run_at, max_retries, backoff_ms, backoff_factor,
                         backoff_max_ms, timeout_ms, idempotency_key, schedule_id, concurrency_key, concurrency_limit,
                         on_dependency_failure, blocked_by, has_dependents,
                         selector, labels, fanout, fanout_retry, pinned_worker, parent_id, status)
      overriding system value
      select seq, id, name, command, env, queue, priority, coalesce(run_at, now() + delay_ms * interval '1 millisecond'),
             max_retries, backoff_ms, backoff_factor, backoff_max_ms, timeout_ms, idempotency_key, schedule_id,
             concurrency_key, concurrency_limit, on_dependency_failure, blocked_by, has_dependents,
             selector, labels, fanout, fanout_retry, pinned_worker, parent_id, ${statusSql("scheduled")}
      from input
      -- Keyed rows in key order (byte order, the same for every call): concurrent batches sharing keys
      -- then wait on each other in the same order and cannot deadlock.
      order by idempotency_key collate "C" nulls first, ord
      on conflict (idempotency_key) do nothing
      returning id, seq, env, run_at, created_at, updated_at, queue, selector, labels
    ), events as (
      insert into task_events (task_id, attempt, status, message)
      select ins.id, 0, e.status, case when e.n = 1 and input.created_by is not null then 'created by ' || input.created_by end
      from ins join input on input.id = ins.id cross join (values (1, ${statusSql("created")}), (2, ${statusSql("scheduled")})) as e(n, status)
      order by input.ord, e.n
    ), wake as (
      select pg_notify(${WAKE_CHANNEL}, json_build_object('queues', json_agg(queue), 'origin', ${origin}::text)::text)
      from (select queue, (row_number() over (order by queue) - 1) / 100 as chunk from (select distinct queue from ins) q) q
      group by chunk
    )
    -- wake is read so that it runs (a CTE that modifies nothing runs only when read); once, as an initplan.
    select id, seq, env, run_at, created_at, updated_at, (select count(*) from wake) as woken from ins`);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return resultRows<InsertedColumns>(result).map((c) => newTaskRow(byId.get(c.id)!, c));
}

/** The keys of rows the insert skipped: another task already has them. */
function keysNotInserted(rows: RowJson[], created: TaskRow[]): string[] {
  const ids = new Set(created.map((t) => t.id));
  return rows.filter((r) => r.idempotency_key !== null && !ids.has(r.id)).map((r) => r.idempotency_key!);
}

async function tasksWithKeys(tx: Executor, keys: string[]): Promise<TaskRow[]> {
  if (keys.length === 0) return [];
  return tx
    .select()
    .from(tasks)
    .where(sql`${tasks.idempotencyKey} in (select json_array_elements_text(${json(keys)}))`)
    .prepare("tasks_with_keys")
    .execute();
}

/** The columns of a new task the database decides (as either driver returns them). */
interface InsertedColumns {
  id: string;
  /** bigint: text on postgres.js, a number on PGlite. */
  seq: unknown;
  env: unknown;
  run_at: unknown;
  created_at: unknown;
  updated_at: unknown;
  selector: unknown;
  labels: unknown;
}

/** A timestamptz as either driver returns it (drizzle's own mapping: text or Date). */
const time = (value: unknown) => tasks.createdAt.mapFromDriverValue(value) as Date;

/** A new task as `select * from tasks` would read it: the row as sent, the database's columns, the rest as inserted. */
function newTaskRow(row: RowJson, c: InsertedColumns): TaskRow {
  return {
    id: row.id,
    seq: Number(c.seq),
    name: row.name,
    command: row.command,
    // jsonb may reorder keys: the stored value, as any later read shows it.
    env: tasks.env.mapFromDriverValue(c.env) as Record<string, string>,
    queue: row.queue,
    priority: row.priority,
    runAt: time(c.run_at),
    maxRetries: row.max_retries,
    backoffMs: row.backoff_ms,
    backoffFactor: row.backoff_factor,
    backoffMaxMs: row.backoff_max_ms,
    timeoutMs: row.timeout_ms,
    idempotencyKey: row.idempotency_key,
    status: "scheduled",
    attempt: 0,
    retryBase: 0,
    manualRetries: 0,
    workerId: null,
    worker: null,
    scheduleId: row.schedule_id,
    concurrencyKey: row.concurrency_key,
    concurrencyLimit: row.concurrency_limit,
    blockedBy: row.blocked_by,
    hasDependents: row.has_dependents,
    onDependencyFailure: row.on_dependency_failure,
    // jsonb may reorder keys, as for env.
    selector: c.selector === null || c.selector === undefined ? null : (tasks.selector.mapFromDriverValue(c.selector) as Record<string, string>),
    labels: tasks.labels.mapFromDriverValue(c.labels) as Record<string, string>,
    pinnedWorker: row.pinned_worker,
    parentId: row.parent_id,
    fanout: row.fanout,
    fanoutRetry: row.fanout_retry,
    createdAt: time(c.created_at),
    pickedAt: null,
    startedAt: null,
    finishedAt: null,
    exitCode: null,
    error: null,
    updatedAt: time(c.updated_at),
  };
}

/** A JSON parameter; one parameter however many rows (drizzle would spread an array into one per element). */
function json(value: unknown) {
  return sql`${JSON.stringify(value)}::json`;
}
