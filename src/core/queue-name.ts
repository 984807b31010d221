/** Queue names: what a task, a schedule's template and a worker's --queues may name. */

/** Lowercase letters, digits, `_` and `-`, 1 to 64 characters (as a JSON-Schema pattern for the API's schemas). */
export const QUEUE_PATTERN = "^[a-z0-9_-]{1,64}$";
export const QUEUE_DEFAULT = "default";

const QUEUE_RE = new RegExp(QUEUE_PATTERN);

/** @example isQueueName("mail") // true; isQueueName("Mail") // false */
export function isQueueName(s: string): boolean {
  return QUEUE_RE.test(s);
}
