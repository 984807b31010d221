/**
 * loseAttempts: live attempts whose worker is gone (declared dead, or the attempt
 * vanished from a reconnected worker) end as lost and go through the retry rules
 * like any failed attempt (core/attempt.ts:attemptOutcome).
 */
import { sql, type SQL } from "drizzle-orm";
import { attemptKey, attemptOutcome, type AttemptRef } from "../../core/attempt.ts";
import { ACTIVE_STATUSES } from "../../core/task-status.ts";
import { executePrepared } from "../client.ts";
import { recordAttemptOutcomes, type AttemptOutcomeWrite } from "./record-attempt-outcomes.ts";
import { attemptRefsSql, type Executor, rows, statusListSql, uuidArray } from "../sql.ts";

interface LiveAttemptRow {
  id: string;
  attempt: number;
  worker_id: string;
  max_retries: number;
  retry_base: number;
  backoff_ms: string | number;
  backoff_factor: number;
  backoff_max_ms: string | number;
}

export type LostSelector =
  /** Every live attempt of these worker sessions. */
  | { workerIds: string[] }
  /** These attempts, if still current. */
  | { attempts: AttemptRef[] };

/** Why an attempt was lost: one reason for all, or one per worker session. */
export type LostReason = string | ((workerId: string) => string);

/** Ends the selected live attempts as lost; returns how many tasks it changed. Run inside a transaction. */
export async function loseAttempts(tx: Executor, selector: LostSelector, reason: LostReason, random: () => number = Math.random): Promise<number> {
  let n = 0;
  for (const k of (await loseAttemptsByWorker(tx, selector, reason, random)).values()) n += k;
  return n;
}

/** loseAttempts, counted per worker session (many sessions' attempts in the same few statements). */
export async function loseAttemptsByWorker(tx: Executor, selector: LostSelector, reason: LostReason, random: () => number = Math.random): Promise<Map<string, number>> {
  const live = rows<LiveAttemptRow>(await executePrepared(tx, sql`
    select id, attempt, worker_id, max_retries, retry_base, backoff_ms, backoff_factor, backoff_max_ms
    from tasks where status in ${statusListSql(ACTIVE_STATUSES)} and ${where(selector)}
    order by id for update`));
  const outcomes = live.map((r): AttemptOutcomeWrite => {
    const task = {
      attempt: Number(r.attempt),
      maxRetries: Number(r.max_retries),
      retryBase: Number(r.retry_base),
      backoffMs: Number(r.backoff_ms),
      backoffFactor: Number(r.backoff_factor),
      backoffMaxMs: Number(r.backoff_max_ms),
    };
    const outcome = attemptOutcome({ kind: "lost", reason: typeof reason === "string" ? reason : reason(r.worker_id) }, task, random);
    return { taskId: r.id, attempt: task.attempt, workerId: r.worker_id, ...outcome, exitCode: null, stdoutTail: null, stderrTail: null, startedAt: null };
  });
  const changed = await recordAttemptOutcomes(tx, outcomes);
  const byWorker = new Map<string, number>();
  for (const o of outcomes) if (changed.has(attemptKey(o.taskId, o.attempt))) byWorker.set(o.workerId, (byWorker.get(o.workerId) ?? 0) + 1);
  return byWorker;
}

function where(selector: LostSelector): SQL {
  if ("workerIds" in selector) {
    return sql`worker_id = any(${uuidArray(selector.workerIds)}::uuid[])`;
  }
  return sql`(id, attempt, worker_id) in (select task_id, attempt, worker_id from ${attemptRefsSql(selector.attempts)})`;
}
