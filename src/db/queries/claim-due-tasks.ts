/**
 * claimDueTasks: hands due tasks to one worker session in a single statement.
 * `FOR UPDATE SKIP LOCKED` lets many coordinators claim at once without waiting on
 * or double-claiming each other; the attempt row (which holds the `picked` event:
 * run-events.ts) is written and the change published by the same statement.
 *
 * The claim costs the same whatever waits in the table: a backlog of due tasks is
 * not sorted as a whole (each (queue, priority) level is read in run_at order from
 * tasks_due_idx, up to the limit), and tasks waiting for a future run_at are never
 * walked (each level's read stops at the first one). The levels are the distinct
 * priorities with scheduled tasks, found by a skip scan of the same index: one
 * index probe each, so a few per claim in practice (priorities span −100…100).
 *
 * Flow control (docs/flow-control.md) lives here too, so no coordinator can race
 * another past it: paused queues are left out (their rows are key-share locked),
 * tasks with unfinished dependencies (blocked_by > 0) are outside both indexes,
 * and tasks with a concurrency key come through their own index, only from keys
 * whose counter row this claim locked with a free slot. Tasks without a key pay
 * for this with one probe of an (empty) partial index.
 *
 * Placement (docs/placement.md) too: tasks with a selector come through their own
 * index, one skip-scan step per distinct (queue, selector) that waits, and only
 * selectors the worker's labels match are read; fanout children pinned to this
 * worker's name come through a third index. Without such tasks this costs two
 * more probes of empty partial indexes.
 *
 * One claim can fill many workers' slots (claimDueTasksForSlots, the dispatcher
 * with many workers on the same queues): the n-th task in claim order goes to the
 * n-th slot. Such a claim takes only tasks any worker may run (no selector, not
 * pinned): the dispatcher asks first whether placed tasks are due
 * (hasDuePlacedTasks) and claims worker by worker when they are.
 */
import { sql, type SQL } from "drizzle-orm";
import type { ClaimedTask } from "../../core/attempt.ts";
import { notifyRanSql } from "../channels.ts";
import { executePrepared, type Db } from "../client.ts";
import { type Executor, rows, statusSql, textArray } from "../sql.ts";

/** Claimable without a key: the predicate of tasks_due_idx, spelled the same so the planner uses it. */
const UNKEYED = sql.raw(`t.status = 'scheduled' and t.concurrency_key is null and t.blocked_by = 0 and t.selector is null and t.pinned_worker is null`);
/** Claimable with a selector (placement): the predicate of tasks_selector_due_idx. */
const SELECTED = sql.raw(`t.status = 'scheduled' and t.concurrency_key is null and t.blocked_by = 0 and t.pinned_worker is null and t.selector is not null`);
/** Claimable pinned to a worker (fanout children): the predicate of tasks_pinned_due_idx. */
const PINNED = sql.raw(`t.status = 'scheduled' and t.concurrency_key is null and t.blocked_by = 0 and t.pinned_worker is not null`);
/** Claimable with a key: the predicate of tasks_keyed_due_idx. */
const KEYED = sql.raw(`t.status = 'scheduled' and t.concurrency_key is not null and t.blocked_by = 0`);
/**
 * Keys with free slots one claim looks at (in key order). Bounds the claim's cost with many
 * keys; a key past this many is served once earlier keys fill up or empty.
 */
const KEYS_PER_CLAIM = sql.raw("100");

export interface ClaimRequest {
  workerId: string;
  workerName: string;
  queues: string[];
  limit: number;
  /** The worker's labels: tasks with a selector are taken only when it matches them (docs/placement.md). */
  labels?: Record<string, string>;
}

/** Free slots of many sessions with the same queues, in the order tasks should fill them (one claim for all). */
export interface SlotsClaimRequest {
  queues: string[];
  slots: Array<{ workerId: string; workerName: string }>;
}

/** A claimed task and the session whose slot it fills. */
export type SlotClaim = ClaimedTask & { workerId: string };

export interface ClaimedRow {
  id: string;
  attempt: number;
  name: string;
  command: string;
  env: Record<string, string> | string;
  queue: string;
  timeout_ms: string | number | null;
  max_retries: number;
  retry_base: number;
  backoff_ms: string | number;
  backoff_factor: number;
  backoff_max_ms: string | number;
  run_at: string | Date;
}

export async function claimDueTasks(db: Db, req: ClaimRequest): Promise<ClaimedTask[]> {
  if (req.limit <= 0) return [];
  return db.transaction((tx) => claimDueTasksWithin(tx, req));
}

/** claimDueTasks inside a transaction the caller holds (a submit's own claim, local-submit.ts). */
export async function claimDueTasksWithin(tx: Executor, req: ClaimRequest): Promise<ClaimedTask[]> {
  if (req.limit <= 0) return [];
  const slots = [{ workerId: req.workerId, workerName: req.workerName }];
  const claimed = await claimForSlots(tx, req.queues, slots, req.limit, { labels: req.labels ?? {}, workerName: req.workerName });
  return claimed.map(({ workerId: _, ...task }) => task);
}

/**
 * Fills many sessions' free slots in one statement (the dispatcher, with many
 * workers): the n-th task in claim order goes to the n-th slot, so a short supply
 * is spread over the sessions in the order given, one task each before a second.
 * Only tasks any worker may run: placed tasks (selector, pinned) are claimed worker by worker.
 */
export async function claimDueTasksForSlots(db: Db, req: SlotsClaimRequest): Promise<SlotClaim[]> {
  if (req.slots.length === 0 || req.queues.length === 0) return [];
  return db.transaction((tx) => claimForSlots(tx, req.queues, req.slots, req.slots.length, null));
}

/**
 * The claim's plan is the generic one, made once per connection. Left to choose,
 * PostgreSQL kept planning this statement afresh at every claim (its estimate of the
 * generic plan came out above the custom plans'), and planning it took ~1 ms, longer
 * than running it (0.4–0.9 ms), on every submit's way to its spawn and in every
 * dispatcher pass. The generic plan is the same plan: the limit is in the text
 * (limitSql), and the parameters only name queues, workers and labels. SET LOCAL, so
 * it ends with the claim's transaction; sent together with the claim.
 *
 * The transaction is drizzle's (postgres.js `begin`), not one on a reserved connection
 * (`reserve()`): postgres.js 3.4.9 hands out a reserved connection whose backend died
 * again (porsager/postgres#1199) and can strand a reserve queued behind a dying one
 * (#1195); after a database restart a coordinator's claims then never returned (the
 * chaos battery's database restart caught it).
 */
const GENERIC_PLAN = sql.raw("set local plan_cache_mode = force_generic_plan");

/** The one worker a claim is for, whose labels and name let it take placed tasks. */
interface PlacementOf {
  labels: Record<string, string>;
  workerName: string;
}

/**
 * Claims up to `n` tasks; the k-th goes to slot k (modulo the slots given: one slot
 * stands for a whole worker). With `placement` null (many workers) tasks with a
 * selector or a pin are left alone: their CTEs read nothing.
 */
async function claimForSlots(tx: Executor, queues: string[], slots: SlotsClaimRequest["slots"], n: number, placement: PlacementOf | null): Promise<SlotClaim[]> {
  if (n <= 0 || slots.length === 0 || queues.length === 0) return [];
  const req = { queues };
  const limit = limitSql(n);
  const workerIds = textArray(slots.map((s) => s.workerId));
  const workerNames = textArray(slots.map((s) => s.workerName));
  const slotOf = (k: SQL) => sql`1 + (${k} - 1) % ${slots.length}::int`;
  // Many workers: no labels match a selector (an empty worker has none; a selector has one pair at least) and no name a pin.
  const labels = sql`${JSON.stringify(placement?.labels ?? {})}::jsonb`;
  const placed = placement === null ? sql.raw("false") : sql.raw("true");
  const pinnedTo = placement?.workerName ?? "";
  const [, result] = await Promise.all([executePrepared(tx, GENERIC_PLAN), executePrepared(tx, sql`
    with recursive open_queues as (
      -- Key-share locks on the queues' rows: a pause (which locks its row for update) waits for
      -- claims in flight and later claims see it, so nothing of a paused queue is picked after it.
      select name as queue from queues where name = any(${textArray(req.queues)}::text[]) and not paused
      for key share
    ), levels as (
      select q.queue, (select t.priority from tasks t where ${UNKEYED} and t.queue = q.queue
                       order by t.priority desc nulls last limit 1) as priority
      from open_queues q
      union all
      select l.queue, (select t.priority from tasks t where ${UNKEYED} and t.queue = l.queue and t.priority < l.priority
                       order by t.priority desc nulls last limit 1)
      from levels l where l.priority is not null
    ), due as (
      select c.id, c.priority, c.run_at from levels l
      cross join lateral (
        select t.id, t.priority, t.run_at from tasks t
        where ${UNKEYED} and t.queue = l.queue and t.priority = l.priority and t.run_at <= now()
        order by t.run_at
        limit ${limit}
        for update skip locked
      ) c
      where l.priority is not null
      -- "nulls last" as in tasks_due_idx, or the index order cannot serve it.
      order by c.priority desc nulls last, c.run_at
      limit ${limit}
    ), selectors as (
      -- The distinct selectors waiting in each queue (a skip scan of tasks_selector_due_idx).
      select q.queue, (select t.selector from tasks t where ${SELECTED} and t.queue = q.queue order by t.selector limit 1) as selector
      from open_queues q where ${placed}
      union all
      select s.queue, (select t.selector from tasks t where ${SELECTED} and t.queue = s.queue and t.selector > s.selector
                       order by t.selector limit 1)
      from selectors s where s.selector is not null
    ), selected as (
      select c.id, c.priority, c.run_at from selectors s
      cross join lateral (
        select t.id, t.priority, t.run_at from tasks t
        where ${SELECTED} and t.queue = s.queue and t.selector = s.selector and t.run_at <= now()
        order by t.priority desc nulls last, t.run_at
        limit ${limit}
        for update skip locked
      ) c
      where ${placed} and s.selector is not null and ${matches(sql`s.selector`, labels)}
    ), pinned as (
      select t.id, t.priority, t.run_at from tasks t
      where ${placed} and ${PINNED} and t.pinned_worker = ${pinnedTo} and t.queue in (select queue from open_queues) and t.run_at <= now()
      order by t.priority desc nulls last, t.run_at
      limit ${limit}
      for update skip locked
    ), free_keys as (
      -- Keys with a free slot and something waiting. Locking the key's row is what makes the limit
      -- hold across coordinators: a claim in flight holds it (others skip the key), and the row read
      -- after the lock is its latest version, counted by the trigger of every earlier pick.
      select key, lim - active as free from concurrency_keys where waiting > 0 and active < lim
      limit ${KEYS_PER_CLAIM}
      for update skip locked
    ), keyed as (
      select c.id, c.priority, c.run_at from free_keys k
      cross join lateral (
        select t.id, t.priority, t.run_at from tasks t
        where ${KEYED} and t.concurrency_key = k.key and t.queue in (select queue from open_queues) and t.run_at <= now()
          and (t.pinned_worker is null or (${placed} and t.pinned_worker = ${pinnedTo})) and (t.selector is null or (${placed} and ${matches(sql`t.selector`, labels)}))
        order by t.priority desc nulls last, t.run_at
        limit least(k.free, ${limit})
        for update skip locked
      ) c
    ), chosen as (
      -- Slots numbered over the chosen rows only: numbered before the limit, tasks tied on
      -- (priority, run_at) could keep numbers past it and two land in one slot.
      select id, priority, run_at, row_number() over (order by priority desc nulls last, run_at, id) as slot
      from (
        select id, priority, run_at from (select * from due union all select * from keyed union all select * from selected union all select * from pinned) d
        order by priority desc nulls last, run_at
        limit ${limit}
      ) c
    ), picked as (
      update tasks t
      set status = ${statusSql("picked")}, attempt = t.attempt + 1,
          worker_id = (${workerIds}::uuid[])[${slotOf(sql`chosen.slot`)}], worker = (${workerNames}::text[])[${slotOf(sql`chosen.slot`)}],
          picked_at = now(), started_at = null, finished_at = null, exit_code = null, error = null, updated_at = now()
      from chosen where t.id = chosen.id
      returning t.id, t.attempt, t.name, t.command, t.env, t.queue, t.timeout_ms, t.max_retries, t.retry_base,
                t.backoff_ms, t.backoff_factor, t.backoff_max_ms, t.priority, t.run_at, t.worker_id, t.worker, t.schedule_id
    ), attempts as (
      -- derived_events = 1: the attempt's picked event is this row (picked_at, worker), not a task_events row.
      insert into task_attempts (task_id, attempt, worker_id, worker, status, derived_events)
      select id, attempt, worker_id, worker, ${statusSql("picked")}, 1 from picked
    ), notified as (${notifyRanSql("picked", sql`
      select id, attempt, queue, null::float8 as lag, (schedule_id is not null)::int as schedule,
             row_number() over (order by priority desc, run_at) as ord
      from picked`)})
    select picked.* from picked, notified order by priority desc, run_at`)]);
  return rows<ClaimedRow & { worker_id: string }>(result).map((r) => ({ ...toClaimedTask(r), workerId: r.worker_id }));
}

/**
 * Whether a worker's labels (a jsonb) satisfy a selector (a jsonb object): every
 * pair names a label the worker has, with the same value or `*` (core/labels.ts).
 */
function matches(selector: SQL, labels: SQL): SQL {
  return sql`not exists (select 1 from jsonb_each_text(${selector}) e
                         where (${labels}) ->> e.key is null or (e.value <> '*' and (${labels}) ->> e.key <> e.value))`;
}

/**
 * The limit as a literal in the statement text, not a parameter. The claim is a
 * prepared statement, and PostgreSQL may switch a prepared statement to a generic
 * plan, made without the parameter values: with an unknown limit that plan expects
 * tens of thousands of rows and took ~300 ms instead of ~1 ms (120,000 tasks,
 * 5,000 due). Callers claim at most a bounded batch (the dispatcher: ≤ 100), so the
 * number of statement texts each connection prepares stays small.
 */
function limitSql(limit: number): SQL {
  if (!Number.isSafeInteger(limit)) throw new Error(`claim limit must be an integer, got ${limit}`);
  return sql.raw(String(limit));
}

export function toClaimedTask(r: ClaimedRow): ClaimedTask {
  return {
    id: r.id,
    attempt: Number(r.attempt),
    name: r.name,
    command: r.command,
    env: typeof r.env === "string" ? JSON.parse(r.env) : (r.env ?? {}),
    queue: r.queue,
    timeoutMs: r.timeout_ms === null ? null : Number(r.timeout_ms),
    maxRetries: Number(r.max_retries),
    retryBase: Number(r.retry_base),
    backoffMs: Number(r.backoff_ms),
    backoffFactor: Number(r.backoff_factor),
    backoffMaxMs: Number(r.backoff_max_ms),
    runAt: new Date(r.run_at),
  };
}
