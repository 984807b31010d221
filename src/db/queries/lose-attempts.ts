/**
 * loseAttempts: live attempts whose worker is gone (declared dead, or the attempt
 * vanished from a reconnected worker) fail with a "worker lost" error and go
 * through the retry rules like any failed attempt.
 */
import { sql, type SQL } from "drizzle-orm";
import { executePrepared } from "../client.ts";
import { outcomeOf } from "../../core/retry-policy.ts";
import { rows } from "../rows.ts";
import { applyAttemptOutcomes, type AttemptOutcomeWrite } from "./apply-attempt-outcomes.ts";
import type { AttemptRef } from "./mark-attempts-started.ts";
import type { Executor } from "./record-transitions.ts";

interface LiveAttemptRow {
  id: string;
  attempt: number;
  worker_id: string;
  max_retries: number;
  backoff_ms: string | number;
  backoff_factor: number;
  backoff_max_ms: string | number;
}

export type LostSelector =
  /** Every live attempt of these worker sessions. */
  | { workerIds: string[] }
  /** These attempts, if still current. */
  | { attempts: AttemptRef[] };

/** Fails the selected live attempts as lost; returns how many tasks it changed. Run inside a transaction. */
export async function loseAttempts(tx: Executor, selector: LostSelector, reason: string, random: () => number = Math.random): Promise<number> {
  const live = rows<LiveAttemptRow>(await executePrepared(tx, sql`
    select id, attempt, worker_id, max_retries, backoff_ms, backoff_factor, backoff_max_ms
    from tasks where status in ('picked', 'running') and ${where(selector)}
    order by id for update`));
  const outcomes = live.map((r) => lostOutcome(r, reason, random));
  return (await applyAttemptOutcomes(tx, outcomes)).size;
}

function where(selector: LostSelector): SQL {
  if ("workerIds" in selector) {
    return sql`worker_id = any(${`{${selector.workerIds.join(",")}}`}::uuid[])`;
  }
  const input = JSON.stringify(selector.attempts.map((a) => ({ task_id: a.taskId, attempt: a.attempt, worker_id: a.workerId })));
  return sql`(id, attempt, worker_id) in (select task_id, attempt, worker_id from jsonb_to_recordset(${input}::jsonb) as i(task_id uuid, attempt int, worker_id uuid))`;
}

function lostOutcome(r: LiveAttemptRow, reason: string, random: () => number): AttemptOutcomeWrite {
  const task = {
    attempt: Number(r.attempt),
    maxRetries: Number(r.max_retries),
    backoffMs: Number(r.backoff_ms),
    backoffFactor: Number(r.backoff_factor),
    backoffMaxMs: Number(r.backoff_max_ms),
  };
  const outcome = outcomeOf(false, task, random);
  return {
    taskId: r.id,
    attempt: task.attempt,
    workerId: r.worker_id,
    attemptStatus: "lost",
    taskStatus: outcome.status === "completed" ? "failed" : outcome.status,
    delayMs: outcome.status === "scheduled" ? outcome.delayMs : 0,
    exitCode: null,
    error: reason,
    stdoutTail: null,
    stderrTail: null,
    startedAt: null,
    message: retryMessage(outcome.status === "scheduled" ? outcome.delayMs : null, task.attempt, task.maxRetries, reason),
  };
}

/** The timeline note for a failed attempt: what went wrong and whether it will be retried. */
export function retryMessage(delayMs: number | null, attempt: number, maxRetries: number, error: string): string {
  if (delayMs === null) return `attempt ${attempt} failed, no retries left: ${error}`;
  return `attempt ${attempt} failed, retry ${attempt} of ${maxRetries} in ${(delayMs / 1000).toFixed(1)} s: ${error}`;
}
