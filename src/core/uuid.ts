/** Every id taskflow hands out (tasks, schedules, worker sessions) is a UUID. */

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether `s` is a UUID (any version). Ids that are not name nothing: routes answer
 * 404 rather than letting PostgreSQL's uuid parser fail the statement.
 *
 * @example isUuid("0b6e4c8a-1f2d-4c3b-9a8e-7d6c5b4a3f2e") // true
 */
export function isUuid(s: string): boolean {
  return UUID_PATTERN.test(s);
}
