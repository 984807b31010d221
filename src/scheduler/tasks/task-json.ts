/**
 * Task rows as the API shows them (SPEC §3): snake_case keys, times as ISO-8601
 * UTC strings. Typed by the answer schemas in model.ts, which the OpenAPI
 * document shows: a field added here and not there does not compile.
 */
import type { Static } from "@sinclair/typebox";
import type { TaskStatus } from "../../core/task-status.ts";
import { waitingReason } from "../../core/waiting-reason.ts";
import type { TaskDetail } from "../../db/queries/get-task.ts";
import { failureReason } from "../../core/failure-reason.ts";
import type { FailureFacts } from "../../db/queries/load-failure-facts.ts";
import type { TaskAttemptRow, TaskEventRow, TaskRow } from "../../db/schema/index.ts";
import type { TaskAttemptJsonSchema, TaskDetailJson, TaskEventJsonSchema, TaskJson } from "./model.ts";

/** ISO-8601 UTC, or null for an unset time; `!` on NOT NULL columns (stand-in rows in some tests leave them out). */
const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export type { TaskJson };

/**
 * `waitingReason`: why a scheduled task is not running yet (core/waiting-reason.ts), where it was worked out.
 * `failure`: what the last attempt's end says (failure-reasons.ts), where it was loaded; else the task's error alone.
 */
export function taskJson(t: TaskRow, waitingReason: string | null = null, failure: FailureFacts | null = null): TaskJson {
  return {
    id: t.id,
    seq: t.seq,
    name: t.name,
    command: t.command,
    env: t.env,
    queue: t.queue,
    priority: t.priority,
    run_at: iso(t.runAt)!,
    max_retries: t.maxRetries,
    backoff_ms: t.backoffMs,
    backoff_factor: t.backoffFactor,
    backoff_max_ms: t.backoffMaxMs,
    timeout_ms: t.timeoutMs,
    idempotency_key: t.idempotencyKey,
    // The column holds only the statuses of the task lifecycle (core/task-status.ts).
    status: t.status as TaskStatus,
    attempt: t.attempt,
    worker: t.worker,
    schedule_id: t.scheduleId,
    concurrency_key: t.concurrencyKey,
    concurrency_limit: t.concurrencyLimit,
    on_dependency_failure: t.onDependencyFailure === "run" ? "run" : "cancel",
    selector: t.selector ?? null,
    labels: t.labels ?? {},
    fanout: t.fanout === null || t.fanout === undefined ? null : t.fanout === "all" ? "all" : Number(t.fanout),
    fanout_retry: t.fanoutRetry === "any" ? "any" : "same",
    parent_id: t.parentId ?? null,
    pinned_worker: t.pinnedWorker ?? null,
    waiting_reason: waitingReason,
    created_at: iso(t.createdAt)!,
    picked_at: iso(t.pickedAt),
    started_at: iso(t.startedAt),
    finished_at: iso(t.finishedAt),
    exit_code: t.exitCode,
    error: t.error,
    failure_reason: failureReason(failure?.error ?? t.error ?? null, failure?.stderrLastLine ?? null),
    retry_base: t.retryBase ?? 0,
    manual_retries: t.manualRetries ?? 0,
  };
}

export function attemptJson(a: TaskAttemptRow): Static<typeof TaskAttemptJsonSchema> {
  return {
    attempt: a.attempt,
    worker: a.worker,
    status: a.status,
    picked_at: iso(a.pickedAt)!,
    started_at: iso(a.startedAt),
    spawned_at: iso(a.spawnedAt),
    finished_at: iso(a.finishedAt),
    exit_code: a.exitCode,
    error: a.error,
    stdout_tail: a.stdoutTail,
    stderr_tail: a.stderrTail,
  };
}

export function eventJson(e: TaskEventRow): Static<typeof TaskEventJsonSchema> {
  return { status: e.status, attempt: e.attempt, at: iso(e.at)!, worker: e.worker, message: e.message };
}

/** GET /api/tasks/:id: the task with its attempts and timeline. */
export function taskDetailJson(d: TaskDetail): TaskDetailJson {
  const last = d.attempts.find((a) => a.attempt === d.task.attempt && a.finishedAt !== null);
  return {
    ...taskJson(d.task, d.waiting ? waitingReason(d.waiting) : null, last ? { error: last.error ?? d.task.error, stderrLastLine: last.stderrTail?.slice(-4096) ?? null } : null),
    depends_on: d.dependsOn,
    attempts: d.attempts.map(attemptJson),
    events: d.events.map(eventJson),
  };
}
