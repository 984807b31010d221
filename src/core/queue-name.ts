/** What a queue name may be (SPEC §2), one rule for the API, the config and workers' hellos. */

/** 1–64 characters of `[a-z0-9_-]`, as a JSON Schema / RegExp source. */
export const QUEUE_PATTERN = "^[a-z0-9_-]{1,64}$";
const QUEUE_RE = new RegExp(QUEUE_PATTERN);

/** @example isQueueName("emails") // true; isQueueName("Emails!") // false */
export function isQueueName(name: string): boolean {
  return QUEUE_RE.test(name);
}
