/**
 * A schedule's task template: how it is stored (schedules.template, jsonb) and
 * how a tick turns it into a task. Stored in the API's snake_case with the task
 * defaults already applied, so what GET shows is exactly what each tick runs.
 * Shared by the scheduler (which validates and stores templates) and the
 * coordinator's ticker (which makes tasks from them).
 */
import type { NewTask } from "./insert-tasks.ts";

/** Every task field but run_at, delay_ms and idempotency_key (a tick sets those). A type, not an interface, so it fits the jsonb column's Record type. */
export type ScheduleTemplate = {
  /** Absent: each task is named after the schedule (renaming the schedule renames later tasks). */
  name?: string;
  command: string;
  env: Record<string, string>;
  queue: string;
  priority: number;
  max_retries: number;
  backoff_ms: number;
  backoff_factor: number;
  backoff_max_ms: number;
  timeout_ms: number | null;
  /** Absent in templates stored before concurrency keys existed. */
  concurrency_key?: string | null;
  concurrency_limit?: number;
  /** Placement (docs/placement.md); absent in templates stored before it existed. */
  selector?: Record<string, string> | null;
  labels?: Record<string, string>;
  fanout?: "all" | number | null;
  fanout_retry?: "same" | "any";
};

/** The stored form of a validated task; `named` false leaves the name to the schedule. */
export function templateFromTask(t: NewTask, named: boolean): ScheduleTemplate {
  return {
    ...(named ? { name: t.name } : {}),
    command: t.command,
    env: t.env,
    queue: t.queue,
    priority: t.priority,
    max_retries: t.maxRetries,
    backoff_ms: t.backoffMs,
    backoff_factor: t.backoffFactor,
    backoff_max_ms: t.backoffMaxMs,
    timeout_ms: t.timeoutMs,
    ...(t.concurrencyKey ? { concurrency_key: t.concurrencyKey, concurrency_limit: t.concurrencyLimit ?? 1 } : {}),
    ...(t.selector ? { selector: t.selector } : {}),
    ...(t.labels && Object.keys(t.labels).length > 0 ? { labels: t.labels } : {}),
    ...(t.fanout ? { fanout: t.fanout, fanout_retry: t.fanoutRetry ?? "same" } : {}),
  };
}

/**
 * The idempotency key of the tick of schedule `scheduleId` due at `dueAt`: the
 * unique index on it is what makes each due time produce exactly one task.
 *
 * @example scheduleTickKey("3f0c…", new Date("2030-01-01T03:00:00Z")) // "schedule:3f0c…:2030-01-01T03:00:00.000Z"
 */
export function scheduleTickKey(scheduleId: string, dueAt: Date): string {
  return `schedule:${scheduleId}:${dueAt.toISOString()}`;
}

/** The task one tick makes: due at its due time (a late catch-up runs at once), keyed by schedule and due time. */
export function tickTask(schedule: { id: string; name: string; template: ScheduleTemplate }, dueAt: Date): NewTask {
  const t = schedule.template;
  return {
    name: t.name ?? schedule.name,
    command: t.command,
    env: t.env,
    queue: t.queue,
    priority: t.priority,
    runAt: dueAt,
    delayMs: 0,
    maxRetries: t.max_retries,
    backoffMs: t.backoff_ms,
    backoffFactor: t.backoff_factor,
    backoffMaxMs: t.backoff_max_ms,
    timeoutMs: t.timeout_ms,
    idempotencyKey: scheduleTickKey(schedule.id, dueAt),
    scheduleId: schedule.id,
    concurrencyKey: t.concurrency_key ?? null,
    concurrencyLimit: t.concurrency_limit ?? 1,
    selector: t.selector ?? null,
    labels: t.labels ?? {},
    fanout: t.fanout ?? null,
    fanoutRetry: t.fanout_retry ?? "same",
  };
}
