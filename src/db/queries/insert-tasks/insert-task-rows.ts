/**
 * The row insert of a submission: one statement for the whole call, which inserts
 * the tasks, wakes the coordinators of their queues and announces the new tasks to
 * every change feed. A new task's `created` and `scheduled` events are not stored:
 * the row says when and by whom (created_at, created_by, submit_events_in_row) and
 * reads derive them (submit-events.ts), which spares a submit two event rows per
 * task, their foreign-key checks and the notify trigger's work on them.
 *
 * The rows travel as one array parameter per column, expanded by unnest (row-columns.ts):
 * for a batch of 1000 that is several times faster than a VALUES list of 15,000
 * parameters, and the statement text is the same for any number of rows (prepared once).
 */
import { sql, type SQL } from "drizzle-orm";
import { executePrepared } from "../../client.ts";
import { TASK_CHANNEL, WAKE_CHANNEL } from "../../channels.ts";
import type { TaskRow } from "../../schema/index.ts";
import { rows as resultRows, statusSql, type Executor } from "../../sql.ts";
import type { RowJson } from "./row-plan.ts";
import { COMMON, ROW_COLUMNS, rowColumns } from "./row-columns.ts";

/**
 * Inserts the rows (keyed rows whose key exists are skipped), numbered in the
 * given order by the tasks_seq sequence (the lists' tie-break: a batch shares one
 * created_at, so this is what keeps it in request order), and returns the new
 * tasks. Without run_at a task is due at the database's now() + delay_ms,
 * never the scheduler's clock. Two kinds of NOTIFY go out with the commit:
 * - the wake-up (a WakeUp naming `origin`, channels.ts), in chunks of 100 queue
 *   names (≤ 6.8 kB, under PostgreSQL's 8000-byte payload cap), only for queues
 *   that got a task;
 * - TasksSubmitted notices (channels.ts) on the task channel: the inserted ids of
 *   each run of rows sharing a queue and schedule-ness, in order, 150 a notice.
 * Only what the database decided comes back (newTaskRow adds the rest), as one JSON
 * value: for a batch of 1000, whole rows cost ~10 ms of a ~50 ms statement, and
 * decoding a row per task column by column a tenth of the route's CPU.
 */
export async function insertTaskRows(db: Executor, rows: RowJson[], origin: string | null = null): Promise<TaskRow[]> {
  const result = await executePrepared(db, sql`
    with input as (
      -- Numbered here, as unnest yields the rows (in request order): item i's seq is below item i+1's.
      select nextval('tasks_seq') as seq, * from unnest(${unnestArguments(rowColumns(rows))}) with ordinality as x(${INPUT_NAMES}, ord)
    ), ins as (
      insert into tasks (seq, id, name, command, env, queue, priority, run_at, max_retries, backoff_ms, backoff_factor,
                         backoff_max_ms, timeout_ms, idempotency_key, schedule_id, created_by, concurrency_key, concurrency_limit,
                         on_dependency_failure, blocked_by, has_dependents,
                         selector, labels, fanout, fanout_retry, pinned_worker, parent_id, status, submit_events_in_row)
      overriding system value
      select seq, id, name, command, coalesce(env, '{}'), coalesce(queue, ${COMMON.queue}), coalesce(priority, ${COMMON.priority}),
             coalesce(run_at, now() + coalesce(delay_ms, ${COMMON.delay_ms}) * interval '1 millisecond'),
             coalesce(max_retries, ${COMMON.max_retries}), coalesce(backoff_ms, ${COMMON.backoff_ms}), coalesce(backoff_factor, ${COMMON.backoff_factor}),
             coalesce(backoff_max_ms, ${COMMON.backoff_max_ms}), timeout_ms, idempotency_key, schedule_id, created_by,
             concurrency_key, coalesce(concurrency_limit, ${COMMON.concurrency_limit}), coalesce(on_dependency_failure, ${COMMON.on_dependency_failure}),
             coalesce(blocked_by, ${COMMON.blocked_by}), coalesce(has_dependents, ${COMMON.has_dependents}),
             selector, coalesce(labels, '{}'), fanout, coalesce(fanout_retry, ${COMMON.fanout_retry}), pinned_worker, parent_id, ${statusSql("scheduled")}, true
      from input
      ${rows.some((r) => r.idempotency_key !== null) ? KEYED_INSERT : sql``}
      returning id, seq, env, run_at, created_at, updated_at, queue, selector, labels
    ), wake as (
      select pg_notify(${WAKE_CHANNEL}, json_build_object('queues', json_agg(queue), 'origin', ${origin}::text)::text)
      from (select queue, (row_number() over (order by queue) - 1) / 100 as chunk from (select distinct queue from ins) q) q
      group by chunk
    ), announce as (
      -- pg_notify is volatile, so PostgreSQL calls it after the sort: the notices go out in order.
      select pg_notify(${TASK_CHANNEL}, json_build_array(json_strip_nulls(json_build_object(
               'submitted', json_agg(ins.id order by input.ord), 'queue', min(ins.queue),
               'schedule', case when bool_or(input.schedule_id is not null) then true end)))::text)
      from ins join input on input.id = ins.id
      group by input.notice
      order by input.notice
    )
    -- wake and announce are read so that they run (a CTE that modifies nothing runs only when read); once each, as initplans.
    -- One row of one JSON value, parsed natively at once, instead of a row per task decoded column by column.
    -- created_at and updated_at are the statement's now() (their default), and run_at is now() + delay_ms
    -- for a row sent without it: now() comes once. The seqs follow the order sent, so while every row was
    -- inserted they say which row is which; the ids come back only when a known key skipped a row. env,
    -- selector and labels come back as stored (jsonb may reorder keys) for the few rows that have any.
    select json_build_object('now', now(), 'seqs', coalesce(json_agg(seq order by seq), '[]'),
             'ids', case when count(*) < (select count(*) from input) then coalesce(json_agg(id order by seq), '[]') end,
             'objects', json_agg(json_build_array(seq, nullif(env, '{}'), selector, nullif(labels, '{}')) order by seq)
                          filter (where env <> '{}' or selector is not null or labels <> '{}'),
             'woken', (select count(*) from wake), 'announced', (select count(*) from announce)) as inserted
    from ins`);
  const [{ inserted }] = resultRows<{ inserted: unknown }>(result) as [{ inserted: unknown }];
  const answer = (typeof inserted === "string" ? JSON.parse(inserted) : inserted) as InsertedJson;
  const now = new Date(answer.now);
  const made = answer.ids === null ? rows : rowsWithIds(rows, answer.ids);
  const objects = new Map(answer.objects?.map((o) => [o[0], o]));
  const runAtOf = runAtMemo(now);
  return made.map((row, i) => newTaskRow(row, answer.seqs[i]!, objects.get(answer.seqs[i]!), now, runAtOf(row)));
}

/**
 * The tail of a call's insert when some row has an idempotency key. Keyed rows go in key order
 * (byte order, the same for every call): concurrent batches sharing keys then wait on each other
 * in the same order and cannot deadlock. A call without keys leaves both out: a NULL key never
 * conflicts, and `on conflict` alone makes every row a speculative insertion (a lock-table entry
 * and one more WAL record per row), which with the sort cost ~5 % of a 1,000-row insert.
 */
const KEYED_INSERT = sql`
      order by idempotency_key collate "C" nulls first, ord
      on conflict (idempotency_key) where idempotency_key is not null do nothing`;

/**
 * A row's run_at as stored, a fresh Date each (Dates are mutable): the text parsed once while
 * rows share it, as the tasks of a call often do. Times as drizzle reads them (to the
 * millisecond, truncated): now() + a whole number of ms truncates alike.
 */
function runAtMemo(now: Date): (row: RowJson) => Date {
  let text = "";
  let ms = 0;
  return (row) => {
    if (row.run_at === null) return new Date(now.getTime() + row.delay_ms);
    if (row.run_at !== text) {
      text = row.run_at;
      ms = Date.parse(text);
    }
    return new Date(ms);
  };
}

/** The rows of `ids`, in that order. */
function rowsWithIds(rows: RowJson[], ids: string[]): RowJson[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => byId.get(id)!);
}


/** The statement's unnest arguments: each column's array literal, sent as text and cast to its array type. */
function unnestArguments(columns: string[]): SQL {
  return sql.join(
    ROW_COLUMNS.map((c, i) => sql`${columns[i]}::text::${sql.raw(c.type)}[]`),
    sql`, `,
  );
}

const INPUT_NAMES = sql.raw(ROW_COLUMNS.map((c) => c.name).join(", "));

/** A new task's jsonb columns as stored: [seq, env, selector, labels] (null: {} for env and labels). */
type StoredObjects = [seq: number, env: Record<string, string> | null, selector: Record<string, string> | null, labels: Record<string, string> | null];

/**
 * What the insert answers: the statement's now(); the new tasks' seqs in the order sent; their ids
 * in the same order only when some row was not inserted (null: every row was); StoredObjects for the
 * new tasks with a non-empty env, selector or labels (null: none has).
 */
interface InsertedJson {
  now: string;
  seqs: number[];
  ids: string[] | null;
  objects: StoredObjects[] | null;
}

/** A new task as `select * from tasks` would read it: the row as sent, the database's columns, the rest as inserted. */
function newTaskRow(row: RowJson, seq: number, stored: StoredObjects | undefined, now: Date, runAt: Date): TaskRow {
  const env = stored?.[1] ?? {};
  const selector = stored?.[2] ?? null;
  const labels = stored?.[3] ?? {};
  return {
    id: row.id,
    seq,
    name: row.name,
    command: row.command,
    // jsonb may reorder keys: the stored value, as any later read shows it.
    env,
    queue: row.queue,
    priority: row.priority,
    runAt,
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
    createdBy: row.created_by,
    submitEventsInRow: true,
    concurrencyKey: row.concurrency_key,
    concurrencyLimit: row.concurrency_limit,
    blockedBy: row.blocked_by,
    hasDependents: row.has_dependents,
    onDependencyFailure: row.on_dependency_failure,
    // jsonb may reorder keys, as for env.
    selector,
    labels,
    pinnedWorker: row.pinned_worker,
    parentId: row.parent_id,
    fanout: row.fanout,
    fanoutRetry: row.fanout_retry,
    createdAt: now,
    pickedAt: null,
    startedAt: null,
    finishedAt: null,
    exitCode: null,
    error: null,
    updatedAt: now,
  };
}
