/**
 * claimDueTasks: hands due tasks to one worker session in a single statement.
 * `FOR UPDATE SKIP LOCKED` lets many coordinators claim at once without waiting on
 * or double-claiming each other; the attempt row and the `picked` event (whose
 * trigger publishes the change) are written by the same statement.
 */
import { sql } from "drizzle-orm";
import type { Executor } from "./record-transitions.ts";
import { rows } from "../rows.ts";

export interface ClaimRequest {
  workerId: string;
  workerName: string;
  queues: string[];
  limit: number;
}

/** What a coordinator needs to dispatch an attempt and, later, to judge its result. */
export interface ClaimedTask {
  id: string;
  attempt: number;
  name: string;
  command: string;
  env: Record<string, string>;
  queue: string;
  timeoutMs: number | null;
  maxRetries: number;
  backoffMs: number;
  backoffFactor: number;
  backoffMaxMs: number;
}

export interface ClaimedRow {
  id: string;
  attempt: number;
  name: string;
  command: string;
  env: Record<string, string> | string;
  queue: string;
  timeout_ms: string | number | null;
  max_retries: number;
  backoff_ms: string | number;
  backoff_factor: number;
  backoff_max_ms: string | number;
}

export async function claimDueTasks(db: Executor, req: ClaimRequest): Promise<ClaimedTask[]> {
  if (req.limit <= 0 || req.queues.length === 0) return [];
  const result = await db.execute(sql`
    with due as (
      select id from tasks
      where status = 'scheduled' and queue = any(${toTextArray(req.queues)}::text[]) and run_at <= now()
      order by priority desc, run_at
      limit ${req.limit}
      for update skip locked
    ), picked as (
      update tasks t
      set status = 'picked', attempt = t.attempt + 1, worker_id = ${req.workerId}, worker = ${req.workerName},
          picked_at = now(), started_at = null, finished_at = null, exit_code = null, error = null, updated_at = now()
      from due where t.id = due.id
      returning t.id, t.attempt, t.name, t.command, t.env, t.queue, t.timeout_ms, t.max_retries,
                t.backoff_ms, t.backoff_factor, t.backoff_max_ms, t.priority, t.run_at
    ), attempts as (
      insert into task_attempts (task_id, attempt, worker_id, worker, status)
      select id, attempt, ${req.workerId}, ${req.workerName}, 'picked' from picked
    ), events as (
      insert into task_events (task_id, attempt, status, worker)
      select id, attempt, 'picked', ${req.workerName} from picked order by priority desc, run_at
    )
    select * from picked order by priority desc, run_at`);
  return rows<ClaimedRow>(result).map(toClaimedTask);
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
    backoffMs: Number(r.backoff_ms),
    backoffFactor: Number(r.backoff_factor),
    backoffMaxMs: Number(r.backoff_max_ms),
  };
}

/** A PostgreSQL text[] literal, the same on both drivers. */
export function toTextArray(items: string[]): string {
  return `{${items.map((s) => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(",")}}`;
}
