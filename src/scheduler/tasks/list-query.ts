/**
 * GET /api/tasks query parameters (and the dashboard's task list, and the filter
 * of the bulk actions): checked (422 naming each bad parameter) and turned into a
 * list filter. The cursor is opaque to clients: base64url of the last row's exact
 * created_at (microseconds) and seq.
 */
import type { FieldProblem } from "../../core/errors.ts";
import { isTaskStatus, TASK_STATUSES } from "../../core/task-status.ts";
import type { TaskListFilter, TaskPosition } from "../../db/queries/list-tasks.ts";
import type { Checked } from "./validate-task.ts";
import { parseIsoInstant } from "./iso-time.ts";
import { isQueueName } from "../../core/queue-name.ts";
import { isUuid } from "../../core/uuid.ts";
import { parsePair } from "../../core/labels.ts";

export const LIST_LIMIT_DEFAULT = 50;
export const LIST_LIMIT_MAX = 500;
export const SEARCH_MAX_CHARS = 200;
/** An output search needs three characters: the trigram index serves nothing shorter. */
export const OUTPUT_SEARCH_MIN_CHARS = 3;
/** A cursor decodes to `created_at|seq` (one of `created_at|id`, from before tasks had a seq, is refused). */
const POSITION = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6})\|(\d{1,15})$/;
/** An id's shape as printed, with x for each hex digit: a `git`-style short id is a start of it. */
const ID_SHAPE = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

export interface ListQueryOptions {
  /** Also read `schedule=` as `schedule_id=`: links to the dashboard's list made before the two had one name. */
  legacyScheduleName?: boolean;
}

/** Checks the query of GET /api/tasks; a repeated parameter (status=a&status=b) counts as a comma list. */
export function parseListQuery(query: URLSearchParams, options: ListQueryOptions = {}): Checked<TaskListFilter> {
  const problems: FieldProblem[] = [];
  const bad = (name: string, message: string) => problems.push({ path: `/${name}`, message });
  const one = (name: string) => query.getAll(name).join(",").trim() || null;
  const statuses = [...new Set((one("status") ?? "").split(",").map((s) => s.trim()).filter(Boolean))];
  if (statuses.some((s) => !isTaskStatus(s))) bad("status", `must be a comma list of ${TASK_STATUSES.join(", ")}`);
  const queue = one("queue");
  if (queue !== null && !isQueueName(queue)) bad("queue", "must be 1 to 64 characters of a-z, 0-9, _ and -");
  const q = one("q");
  if (q !== null && (q.length > SEARCH_MAX_CHARS || q.includes("\u0000") || !q.isWellFormed())) bad("q", `must be text of at most ${SEARCH_MAX_CHARS} characters`);
  const output = query.getAll("output").join(",") || null;
  if (output !== null && (output.length < OUTPUT_SEARCH_MIN_CHARS || output.length > SEARCH_MAX_CHARS || output.includes("\u0000") || !output.isWellFormed())) {
    bad("output", `must be text of ${OUTPUT_SEARCH_MIN_CHARS} to ${SEARCH_MAX_CHARS} characters`);
  }
  const scheduleName = options.legacyScheduleName && !query.has("schedule_id") && query.has("schedule") ? "schedule" : "schedule_id";
  const scheduleId = one(scheduleName);
  // Checked here so that a malformed id is a 422 naming it, not a uuid cast error in PostgreSQL.
  if (scheduleId !== null && !isUuid(scheduleId)) bad(scheduleName, "must be a schedule id (a UUID)");
  const fromScheduleText = one("from_schedule");
  if (fromScheduleText !== null && fromScheduleText !== "true" && fromScheduleText !== "false") bad("from_schedule", "must be true or false");
  const workerId = one("worker_id");
  if (workerId !== null && !isUuid(workerId)) bad("worker_id", "must be a worker id (a UUID)");
  const name = one("name");
  if (name !== null && (name.length > SEARCH_MAX_CHARS || name.includes("\u0000") || !name.isWellFormed())) bad("name", `must be a task name of at most ${SEARCH_MAX_CHARS} characters`);
  const createdBefore = instant(one("created_before"), "created_before", bad);
  const createdAfter = instant(one("created_after"), "created_after", bad);
  const labels: Record<string, string> = {};
  for (const pair of query.getAll("label")) {
    try {
      const [key, value] = parsePair(pair);
      labels[key] = value;
    } catch (err) {
      bad("label", `${(err as Error).message} (label=KEY=VALUE, repeatable)`);
    }
  }
  const parentId = one("parent_id");
  if (parentId !== null && !isUuid(parentId)) bad("parent_id", "must be a task id (a UUID)");
  const idPrefix = one("id_prefix");
  if (idPrefix !== null && !ID_SHAPE.startsWith(idPrefix.replace(/[0-9a-f]/gi, "x"))) bad("id_prefix", "must be the start of a task id (hex digits and dashes as in 7d1c2a4e-0000-…)");
  const limitText = one("limit");
  const limit = limitText === null ? LIST_LIMIT_DEFAULT : Number(limitText);
  if (!/^\d+$/.test(limitText ?? "0") || limit < 1 || limit > LIST_LIMIT_MAX) bad("limit", `must be an integer from 1 to ${LIST_LIMIT_MAX}`);
  const cursorText = one("cursor");
  const after = cursorText === null ? null : decodeCursor(cursorText);
  if (cursorText !== null && after === null) bad("cursor", "is not a next_cursor given by this API");
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    value: {
      statuses,
      queue,
      nameContains: q,
      outputContains: output,
      scheduleId: scheduleId?.toLowerCase() ?? null,
      fromSchedule: fromScheduleText === null ? null : fromScheduleText === "true",
      parentId: parentId?.toLowerCase() ?? null,
      labels,
      idRange: idPrefix === null ? null : idPrefixRange(idPrefix),
      ...(workerId !== null && { workerId: workerId.toLowerCase() }),
      ...(name !== null && { name }),
      ...(createdBefore && { createdBefore }),
      ...(createdAfter && { createdAfter }),
      limit,
      after,
    },
  };
}

/** An ISO instant parameter, or null (absent or bad, then reported). */
function instant(text: string | null, name: string, bad: (name: string, message: string) => void): Date | null {
  if (text === null) return null;
  const d = parseIsoInstant(text);
  if (d === null) bad(name, "must be an ISO 8601 time with a zone, e.g. 2030-01-31T12:00:00Z");
  return d;
}

/**
 * The ids that start with a prefix, as an inclusive range of UUIDs.
 * @example idPrefixRange("7d1c2a4e") // { from: "7d1c2a4e-0000-0000-0000-000000000000", to: "7d1c2a4e-ffff-ffff-ffff-ffffffffffff" }
 */
export function idPrefixRange(prefix: string): { from: string; to: string } {
  const hex = prefix.toLowerCase().replaceAll("-", "");
  const uuid = (h: string) => `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  return { from: uuid(hex.padEnd(32, "0")), to: uuid(hex.padEnd(32, "f")) };
}

export function encodeCursor(p: TaskPosition): string {
  return Buffer.from(`${p.createdAt}|${p.seq}`).toString("base64url");
}

export function decodeCursor(s: string): TaskPosition | null {
  if (!/^[A-Za-z0-9_-]+$/.test(s)) return null;
  const m = POSITION.exec(Buffer.from(s, "base64url").toString());
  // A well-formed but impossible time would make PostgreSQL fail the query.
  if (!m || parseIsoInstant(`${m[1]}Z`) === null) return null;
  return { createdAt: m[1]!, seq: Number(m[2]) };
}
