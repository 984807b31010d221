/**
 * What a delivery POSTs. format json: the event, its data (task without env values,
 * or worker), the delivery id for dedupe, and `text`, a one-line summary that a Slack
 * or Mattermost incoming webhook shows as is. format slack: only `{"text": …}`.
 */
import { attemptText } from "../../core/attempt.ts";
import type { ClaimedDelivery } from "../../db/queries/claim-webhook-deliveries.ts";

interface TaskData {
  id: string;
  name: string;
  queue: string;
  attempt: number;
  max_retries: number;
  /** Absent from deliveries queued before the budget was part of the payload: read as 0. */
  retry_base?: number;
  manual_retries?: number;
  exit_code: number | null;
  error: string | null;
  schedule_id: string | null;
}

interface WorkerData {
  name: string;
  host: string;
  last_heartbeat_at: string;
}

export function deliveryBody(d: Pick<ClaimedDelivery, "id" | "webhookId" | "event" | "payload" | "format">): string {
  const text = summary(d.event, d.payload);
  if (d.format === "slack") return JSON.stringify({ text });
  return JSON.stringify({ id: d.id, event: d.event, webhook_id: d.webhookId, text, ...d.payload });
}

/**
 * One line a person can act on, with attempts counted as the dashboard counts them
 * (core/attempt.ts:attemptText: a manual retry starts a fresh budget).
 *
 * @example summary("task.failed", payload) // `taskflow: task "backup" failed for good after attempt 4 of at most 4: exit code 1 [queue default, id …]`
 */
export function summary(event: string, payload: Record<string, unknown>): string {
  if (event === "worker.dead") {
    const w = payload.worker as WorkerData;
    return `taskflow: worker ${w.name} on ${w.host} is dead (last heartbeat ${w.last_heartbeat_at})`;
  }
  const t = payload.task as TaskData;
  const name = `task "${t.name}"`;
  const why = t.error ? `: ${t.error.slice(0, 200)}` : t.exit_code !== null ? ` (exit code ${t.exit_code})` : "";
  const where = ` [queue ${t.queue}, id ${t.id}]`;
  const attempt = `attempt ${budgetText(t, Number(payload.attempt ?? t.attempt))}`;
  switch (event) {
    case "task.failed":
      return `taskflow: ${name} failed for good after ${attempt}${why}${where}`;
    case "task.retrying":
      return `taskflow: ${name} ${attempt} failed, retrying${why}${where}`;
    case "task.completed":
      return `taskflow: ${name} completed${where}`;
    case "task.cancelled":
      return `taskflow: ${name} was cancelled${why}${where}`;
    case "task.lost":
      return `taskflow: ${name} ${attempt} was lost with its worker${why}${where}`;
    case "schedule.failed":
      return `taskflow: schedule ${t.schedule_id} run ${name} failed${why}${where}`;
    case "schedule.recovered":
      return `taskflow: schedule ${t.schedule_id} recovered: ${name} completed after failed runs${where}`;
    default:
      return `taskflow: ${event} ${name}${where}`;
  }
}

/** The event's attempt in the task's current budget, e.g. "1 of at most 4 (manual retry #1, attempt 5 in all)". */
function budgetText(t: TaskData, attempt: number): string {
  return attemptText({ attempt, retryBase: t.retry_base ?? 0, maxRetries: t.max_retries, manualRetries: t.manual_retries ?? 0 });
}
