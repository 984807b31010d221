/** Task rows as the API shows them (SPEC §3): snake_case keys, times as ISO-8601 UTC strings. */
import type { TaskDetail } from "../../db/queries/get-task.ts";
import type { TaskAttemptRow, TaskEventRow, TaskRow } from "../../db/schema/index.ts";

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function taskJson(t: TaskRow) {
  return {
    id: t.id,
    name: t.name,
    command: t.command,
    env: t.env,
    queue: t.queue,
    priority: t.priority,
    run_at: iso(t.runAt),
    max_retries: t.maxRetries,
    backoff_ms: t.backoffMs,
    backoff_factor: t.backoffFactor,
    backoff_max_ms: t.backoffMaxMs,
    timeout_ms: t.timeoutMs,
    idempotency_key: t.idempotencyKey,
    status: t.status,
    attempt: t.attempt,
    worker: t.worker,
    schedule_id: t.scheduleId,
    created_at: iso(t.createdAt),
    picked_at: iso(t.pickedAt),
    started_at: iso(t.startedAt),
    finished_at: iso(t.finishedAt),
    exit_code: t.exitCode,
    error: t.error,
  };
}

export type TaskJson = ReturnType<typeof taskJson>;

export function attemptJson(a: TaskAttemptRow) {
  return {
    attempt: a.attempt,
    worker: a.worker,
    status: a.status,
    picked_at: iso(a.pickedAt),
    started_at: iso(a.startedAt),
    finished_at: iso(a.finishedAt),
    exit_code: a.exitCode,
    error: a.error,
    stdout_tail: a.stdoutTail,
    stderr_tail: a.stderrTail,
  };
}

export function eventJson(e: TaskEventRow) {
  return { status: e.status, attempt: e.attempt, at: iso(e.at), worker: e.worker, message: e.message };
}

/** GET /api/tasks/:id: the task with its attempts and timeline. */
export function taskDetailJson(d: TaskDetail) {
  return { ...taskJson(d.task), attempts: d.attempts.map(attemptJson), events: d.events.map(eventJson) };
}
