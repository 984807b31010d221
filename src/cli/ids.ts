/**
 * Ids as users type them: a full id, or any unique prefix of 8 or more
 * characters (as `taskflow ls` prints them), like git's short hashes. An
 * ambiguous prefix is an error that names the matches.
 */
import type { ApiClient } from "./api-client.ts";
import type { ScheduleJson, TaskListJson } from "./api-types.ts";
import { CliError, UsageError } from "./errors.ts";

export const ID_PREFIX_MIN = 8;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SHAPE = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
/** Matches listed in an ambiguity error. */
const SHOWN_MATCHES = 5;

/** Checks the shape of a prefix; a UsageError says what is wrong with it. */
export function checkIdPrefix(text: string, what: string): string {
  const id = text.trim().toLowerCase();
  if (!SHAPE.startsWith(id.replace(/[0-9a-f]/g, "x")) || id === "") throw new UsageError(`"${text}" is not a ${what} id (hex digits, e.g. 7d1c2a4e)`);
  if (id.length < ID_PREFIX_MIN) throw new UsageError(`${what} id "${text}" is too short: give at least ${ID_PREFIX_MIN} characters`);
  return id;
}

/** The full id of the one task whose id starts with `text`. */
export async function resolveTaskId(api: ApiClient, text: string): Promise<string> {
  const prefix = checkIdPrefix(text, "task");
  if (UUID.test(prefix)) return prefix;
  const found = await api.get<TaskListJson>(`/api/tasks?id_prefix=${prefix}&limit=${SHOWN_MATCHES + 1}`);
  return pick(prefix, "task", found.tasks.map((t) => ({ id: t.id, name: t.name })));
}

/** The full id of the one schedule whose id starts with `text` (schedules are few: the list is read whole). */
export async function resolveScheduleId(api: ApiClient, text: string): Promise<string> {
  const prefix = checkIdPrefix(text, "schedule");
  if (UUID.test(prefix)) return prefix;
  const { schedules } = await api.get<{ schedules: ScheduleJson[] }>("/api/schedules");
  return pick(prefix, "schedule", schedules.filter((s) => s.id.startsWith(prefix)).map((s) => ({ id: s.id, name: s.name })));
}

function pick(prefix: string, what: string, matches: { id: string; name: string }[]): string {
  if (matches.length === 1) return matches[0]!.id;
  if (matches.length === 0) throw new CliError(`no ${what} id starts with ${prefix}`);
  const listed = matches.slice(0, SHOWN_MATCHES).map((m) => `${m.id} (${m.name})`).join(", ");
  throw new CliError(`${what} id prefix ${prefix} is ambiguous: ${listed}${matches.length > SHOWN_MATCHES ? ", …" : ""}; give more characters`);
}

/** The short form of an id, as tables print it. */
export function shortId(id: string): string {
  return id.slice(0, ID_PREFIX_MIN);
}
