/**
 * The NOTIFY channels that tie processes together without polling tables:
 * - `taskflow_wake`:   tasks became due now (submit, retry); coordinators claim. Payload: a WakeUp
 *                      from a submit, a JSON array of queue names from the rest (parseWake reads both).
 * - `taskflow_task`:   task transitions, for metrics, dashboards and event streams in any process.
 *                      Sent by a trigger on task_events (drizzle/0001, 0003), so no writer can forget it;
 *                      new tasks, which have no event rows, are announced by insertTasks (TasksSubmitted),
 *                      claims and starts, whose events are read from the attempt rows, by their own statements (TasksRan).
 * - `taskflow_cancel`: a live attempt must be killed; the coordinator holding its worker tells it.
 * - `taskflow_worker`: a worker session changed status.
 * - `taskflow_worker_control`: a user asked a worker to drain or resume; the coordinator holding its stream tells it.
 * - `taskflow_schedule`: a schedule was created, changed, deleted or ticked. Every
 *                      coordinator's ticker listens, so a new or edited schedule re-arms
 *                      its timer at once instead of at the next poll; dashboards follow it too.
 * - `taskflow_output`: output of running attempts was stored; payload: the attempts as "TASK_ID:ATTEMPT".
 *                      Followers of a log (GET …/log?follow=1, the task page) read on from their offset.
 * Payloads are JSON; NOTIFY caps a payload at 8000 bytes, so lists are sent in chunks.
 * A NOTIFY sent inside a transaction goes out when it commits.
 */
import { sql, type SQL } from "drizzle-orm";
import type { Executor } from "./sql.ts";

export const WAKE_CHANNEL = "taskflow_wake";
export const TASK_CHANNEL = "taskflow_task";
export const CANCEL_CHANNEL = "taskflow_cancel";
export const WORKER_CHANNEL = "taskflow_worker";
export const WORKER_CONTROL_CHANNEL = "taskflow_worker_control";
export const SCHEDULE_CHANNEL = "taskflow_schedule";
export const OUTPUT_CHANNEL = "taskflow_output";

/**
 * One task transition as published on TASK_CHANNEL. Besides the transition, the
 * trigger (drizzle/0003) adds what counting it needs, read from the task row as the
 * same statement left it, so no process has to load the row for its metrics.
 */
export interface TaskChange {
  id: string;
  status: string;
  attempt: number;
  /** The task's queue (absent if the task is gone). */
  queue?: string;
  /** Present (true) when a schedule made the task. */
  schedule?: boolean;
  /** Seconds the attempt ran: on completed and failed, and on scheduled after a failed attempt (a retry); absent when the row had moved on. */
  duration?: number;
  /** Seconds from run_at to started_at: on running; absent when the row had moved on. */
  lag?: number;
}

/**
 * New tasks of one queue, as insertTasks publishes them on TASK_CHANNEL in place of their
 * `created` and `scheduled` events (attempt 0), which are not stored (tasks.submit_events_in_row):
 * one notice carries up to SUBMITTED_IDS_PER_NOTICE ids, in insertion order.
 */
export interface TasksSubmitted {
  submitted: string[];
  queue: string;
  /** Present (true) when a schedule made the tasks. */
  schedule?: true;
}

/** 150 ids of 39 bytes and a queue name stay under NOTIFY's 8000-byte payload. */
export const SUBMITTED_IDS_PER_NOTICE = 150;

/**
 * Tasks of one queue that one claim picked, or whose start one report recorded, as that statement
 * publishes them on TASK_CHANNEL in place of the `picked` or `running` events it no longer stores
 * (task_attempts.derived_events): one entry per task, [id, attempt, lag, schedule], where lag is
 * the seconds from run_at to the start (running only, else null) and schedule 1 when a schedule
 * made the task, else 0. One notice carries up to RAN_TASKS_PER_NOTICE entries.
 */
export interface TasksRan {
  ran: "picked" | "running";
  queue: string;
  tasks: Array<[id: string, attempt: number, lag: number | null, schedule: 0 | 1]>;
}

/** 80 entries of ≤ 75 bytes and a queue name stay under NOTIFY's 8000-byte payload. */
export const RAN_TASKS_PER_NOTICE = 80;

/** An element of a TASK_CHANNEL payload. */
export type TaskNotice = TaskChange | TasksSubmitted | TasksRan;

/**
 * The transitions that notices stand for, in order: each submitted task's `created`, then its
 * `scheduled`; each task of a TasksRan its `picked` or `running`, with what the trigger would have added.
 */
export function taskChangesOf(notices: TaskNotice[]): TaskChange[] {
  // Loops and literal objects: a batch of 1000 tasks expands to 2000 changes here.
  const changes: TaskChange[] = [];
  for (const n of notices) {
    if ("ran" in n) for (const [id, attempt, lag, schedule] of n.tasks) changes.push(ranChange(n, id, attempt, lag, schedule));
    else if (!("submitted" in n)) changes.push(n);
    else if (n.schedule) for (const id of n.submitted) changes.push({ id, status: "created", attempt: 0, queue: n.queue, schedule: true }, { id, status: "scheduled", attempt: 0, queue: n.queue, schedule: true });
    else for (const id of n.submitted) changes.push({ id, status: "created", attempt: 0, queue: n.queue }, { id, status: "scheduled", attempt: 0, queue: n.queue });
  }
  return changes;
}

function ranChange(n: TasksRan, id: string, attempt: number, lag: number | null, schedule: 0 | 1): TaskChange {
  const change: TaskChange = { id, status: n.ran, attempt, queue: n.queue };
  if (schedule === 1) change.schedule = true;
  if (lag !== null) change.lag = lag;
  return change;
}

/** A submit's wake-up on WAKE_CHANNEL: the queues that got due tasks, and the submitting process (core/submit-wake.ts). */
export interface WakeUp {
  queues: string[];
  /** The submitting process's SubmitWake origin; null when no process woke its dispatcher directly. */
  origin: string | null;
}

/** Reads a WAKE_CHANNEL payload: a WakeUp, or a plain array of queue names (retries, triggers, ticks). */
export function parseWake(payload: string): WakeUp {
  try {
    const v = JSON.parse(payload);
    if (Array.isArray(v)) return { queues: v as string[], origin: null };
    if (v && typeof v === "object") return { queues: Array.isArray(v.queues) ? v.queues : [], origin: typeof v.origin === "string" ? v.origin : null };
  } catch {
    // Never sent by taskflow; treated as a wake for everyone.
  }
  return { queues: [], origin: null };
}

/** A request to kill one attempt, published on CANCEL_CHANNEL. */
export interface CancelRequest {
  task_id: string;
  attempt: number;
  worker_id: string;
  reason: string;
}

/** A user's drain or resume of one worker session, published on WORKER_CONTROL_CHANNEL. */
export interface WorkerControlRequest {
  worker_id: string;
  action: "drain" | "resume";
  reason: string;
}

export interface WorkerChange {
  id: string;
  name: string;
  status: string;
}

/** "ticked" changes only last_run_at / next_run_at, so tickers need not re-arm for it. */
export type ScheduleChangeKind = "created" | "updated" | "deleted" | "ticked";

/** A schedule change as published on SCHEDULE_CHANNEL. */
export interface ScheduleChange {
  id: string;
  change: ScheduleChangeKind;
}

/** Stay well under PostgreSQL's 8000-byte payload limit. */
const MAX_PAYLOAD_BYTES = 7000;

/** Splits items into JSON-array payloads that each fit in one NOTIFY. */
export function chunkPayloads(items: unknown[]): string[] {
  const out: string[] = [];
  let current: string[] = [];
  let size = 2;
  for (const item of items) {
    const s = JSON.stringify(item);
    if (current.length > 0 && size + s.length + 1 > MAX_PAYLOAD_BYTES) {
      out.push(`[${current.join(",")}]`);
      current = [];
      size = 2;
    }
    current.push(s);
    size += s.length + 1;
  }
  if (current.length > 0) out.push(`[${current.join(",")}]`);
  return out;
}

/** The SQL that sends `items` on `channel` (as one statement, however many chunks). */
export function notifySql(channel: string, items: unknown[]): SQL | null {
  const payloads = chunkPayloads(items);
  if (payloads.length === 0) return null;
  return sql`select pg_notify(${channel}, p) from jsonb_array_elements_text(${JSON.stringify(payloads)}::jsonb) as p`;
}

/** Parses a JSON-array payload; bad payloads (never sent by taskflow) give []. */
export function parsePayload<T>(payload: string): T[] {
  try {
    const v = JSON.parse(payload);
    return Array.isArray(v) ? (v as T[]) : [];
  } catch {
    return [];
  }
}

/** Sends `changes` on SCHEDULE_CHANNEL (when the transaction of `tx` commits). */
export async function notifyScheduleChanges(tx: Executor, changes: ScheduleChange[]): Promise<void> {
  const notify = notifySql(SCHEDULE_CHANNEL, changes);
  if (notify) await tx.execute(notify);
}

/** Sends one worker session's change on WORKER_CHANNEL. */
export async function notifyWorker(db: Executor, change: WorkerChange): Promise<void> {
  const notify = notifySql(WORKER_CHANNEL, [change]);
  if (notify) await db.execute(notify);
}

/**
 * The SQL that publishes TasksRan notices for the rows of `ran` (a query with columns id, attempt,
 * queue, lag, schedule and ord, the order to publish in): one notice per RAN_TASKS_PER_NOTICE tasks
 * of a queue. It yields one row, `notices`, the count sent; a statement must read it for the
 * notices to go out (with its transaction's commit).
 */
export function notifyRanSql(ran: TasksRan["ran"], rows: SQL): SQL {
  return sql`select count(pg_notify(${TASK_CHANNEL}, p.payload)::text) as notices from (
      select json_build_array(json_build_object('ran', ${ran}::text, 'queue', g.queue,
               'tasks', json_agg(json_build_array(g.id, g.attempt, g.lag, g.schedule) order by g.ord)))::text as payload
      from (select r.*, (row_number() over (partition by r.queue order by r.ord) - 1) / ${sql.raw(String(RAN_TASKS_PER_NOTICE))} as chunk
            from (${rows}) r) g
      group by g.queue, g.chunk
      order by min(g.ord)
    ) p`;
}
