/** The events a webhook can ask for (docs/notifications.md), and the body formats it can get. */

export const WEBHOOK_EVENTS = [
  /** A task failed for good: its retries are used up. */
  "task.failed",
  /** An attempt failed and the task will run again after its backoff. */
  "task.retrying",
  "task.completed",
  "task.cancelled",
  /** An attempt was lost with its worker (then retried or failed like any failed attempt). */
  "task.lost",
  /** A task made by a schedule failed for good. */
  "schedule.failed",
  /** A schedule's task completed after its previous finished run had failed. */
  "schedule.recovered",
  /** A worker stopped heartbeating and was declared dead (not one that left on purpose). */
  "worker.dead",
] as const;

export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** json: the event with a `text` summary; slack: only `{"text": …}`, for Slack/Mattermost incoming webhooks. */
export const WEBHOOK_FORMATS = ["json", "slack"] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export function isWebhookEvent(s: unknown): s is WebhookEvent {
  return typeof s === "string" && (WEBHOOK_EVENTS as readonly string[]).includes(s);
}
