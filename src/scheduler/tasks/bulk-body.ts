/**
 * The body of the bulk actions (POST /api/tasks/cancel, /api/tasks/retry): either
 * `ids` or a `filter` with the list's own query parameters (GET /api/tasks, read by
 * list-query.ts, so "the tasks this list shows" means the same in both), and
 * `dry_run` to count without changing anything (the dashboard's confirmation).
 */
import { Type } from "@sinclair/typebox";
import type { FieldProblem } from "../../core/errors.ts";
import { isUuid } from "../../core/uuid.ts";
import type { TaskListFilter } from "../../db/queries/list-tasks.ts";
import { parseListQuery } from "./list-query.ts";
import { TaskListQuery } from "./list-query-schema.ts";
import type { Checked } from "./validate-task.ts";

/** At most this many ids in one request; a filter has no cap (the action works in batches). */
export const BULK_IDS_MAX = 1000;

/** The list's parameters that select tasks (not the page's size and position). */
const FILTER_FIELDS = Object.keys(TaskListQuery.properties).filter((name) => name !== "limit" && name !== "cursor");

export const BulkFilterSchema = Type.Object(
  Object.fromEntries(
    FILTER_FIELDS.map((name) => [
      name,
      name === "status"
        ? Type.Optional(Type.Union([TaskListQuery.properties.status, Type.Array(Type.String())], { description: TaskListQuery.properties.status.description }))
        : name === "from_schedule"
          ? Type.Optional(Type.Union([Type.Boolean(), ...TaskListQuery.properties.from_schedule.anyOf], { description: TaskListQuery.properties.from_schedule.description }))
          : Type.Optional(TaskListQuery.properties[name as keyof typeof TaskListQuery.properties]),
    ]),
  ),
  { additionalProperties: false, minProperties: 1, description: "the tasks GET /api/tasks would list with these query parameters (at least one)" },
);

export const BulkActionBody = Type.Object(
  {
    ids: Type.Optional(Type.Array(Type.String({ format: "uuid" }), { minItems: 1, maxItems: BULK_IDS_MAX, description: `these tasks (at most ${BULK_IDS_MAX}); not with filter` })),
    filter: Type.Optional(BulkFilterSchema),
    dry_run: Type.Optional(Type.Boolean({ default: false, description: "count what would change, change nothing" })),
  },
  { additionalProperties: false, description: "exactly one of ids and filter" },
);

export const BulkActionJsonSchema = Type.Object(
  {
    changed: Type.Integer({ description: "tasks changed (with dry_run: that would change)" }),
    skipped: Type.Integer({ description: "tasks named or matched that the action does not apply to (already finished, not failed, or no such id)" }),
    dry_run: Type.Boolean(),
  },
  { $id: "BulkActionResult" },
);

export interface BulkRequest {
  /** The tasks, as a list filter without a page (ids become an id filter). */
  filter: Omit<TaskListFilter, "limit" | "after">;
  /** With ids: how many were named (an unknown id counts as skipped). */
  named: number | null;
  dryRun: boolean;
}

/** Checks a bulk action's body; each problem names its field (e.g. /filter/queue). */
export function validateBulkBody(body: unknown): Checked<BulkRequest> {
  const problems: FieldProblem[] = [];
  const bad = (path: string, message: string) => problems.push({ path, message });
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { ok: false, problems: [{ path: "", message: "must be a JSON object with ids or filter" }] };
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b)) if (!["ids", "filter", "dry_run"].includes(key)) bad(`/${key}`, "is not a field of a bulk action (ids, filter, dry_run)");
  if (b.dry_run !== undefined && typeof b.dry_run !== "boolean") bad("/dry_run", "must be true or false");
  if ((b.ids === undefined) === (b.filter === undefined)) bad(b.ids === undefined ? "" : "/filter", "give exactly one of ids and filter");
  let filter: BulkRequest["filter"] | null = null;
  if (b.ids !== undefined) filter = idsFilter(b.ids, bad);
  else if (b.filter !== undefined) filter = listFilter(b.filter, bad);
  if (problems.length > 0 || filter === null) return { ok: false, problems };
  return { ok: true, value: { filter, named: Array.isArray(b.ids) ? new Set(b.ids).size : null, dryRun: b.dry_run === true } };
}

function idsFilter(ids: unknown, bad: (path: string, message: string) => void): BulkRequest["filter"] | null {
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > BULK_IDS_MAX) {
    bad("/ids", `must be a list of 1 to ${BULK_IDS_MAX} task ids`);
    return null;
  }
  const wrong = ids.findIndex((id) => typeof id !== "string" || !isUuid(id));
  if (wrong >= 0) {
    bad(`/ids/${wrong}`, "must be a task id (a UUID)");
    return null;
  }
  return { ...EVERY_TASK, ids: [...new Set(ids.map((id: string) => id.toLowerCase()))] };
}

/** The filter object as the list's query string, checked by the list's own parser. */
function listFilter(filter: unknown, bad: (path: string, message: string) => void): BulkRequest["filter"] | null {
  if (typeof filter !== "object" || filter === null || Array.isArray(filter) || Object.keys(filter).length === 0) {
    bad("/filter", `must be an object with at least one of ${FILTER_FIELDS.join(", ")}`);
    return null;
  }
  const query = new URLSearchParams();
  let ok = true;
  for (const [name, value] of Object.entries(filter)) {
    // JSON's true and false read as the query's "true" and "false".
    const values = name === "status" && Array.isArray(value) ? value : name === "from_schedule" && typeof value === "boolean" ? [String(value)] : [value];
    if (!FILTER_FIELDS.includes(name)) {
      bad(`/filter/${name}`, `is not a filter of the task list; filters: ${FILTER_FIELDS.join(", ")}`);
      ok = false;
    } else if (values.some((v) => typeof v !== "string")) {
      bad(`/filter/${name}`, name === "status" ? "must be a status, a comma list or a list of statuses" : name === "from_schedule" ? "must be true or false" : "must be a string");
      ok = false;
    } else for (const v of values) query.append(name, v as string);
  }
  if (!ok) return null;
  const checked = parseListQuery(query);
  if (!checked.ok) {
    for (const p of checked.problems) bad(`/filter${p.path}`, p.message);
    return null;
  }
  const { limit: _limit, after: _after, ...f } = checked.value;
  return f;
}

const EVERY_TASK: BulkRequest["filter"] = { statuses: [], queue: null, nameContains: null, outputContains: null, scheduleId: null };
