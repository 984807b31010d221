/**
 * The rows of an insert as one PostgreSQL array literal per column, which the statement
 * expands with `unnest` (insert-task-rows.ts). A column in which every row has the common
 * value (NULL, an empty object, or the default in `common`) travels as an empty array:
 * unnest pads it with NULLs and the statement puts the common value back. So a plain task
 * sends its id, name, command, run_at and creator, with no key names around them.
 *
 * Why not one JSON parameter and json_to_recordset: that builds a hash table of every
 * row's keys and looks up all 28 columns in it, about twice the server's CPU of array_in
 * on the few arrays a batch needs (bench/README.md, bulk3).
 */
import { SUBMITTED_IDS_PER_NOTICE } from "../../channels.ts";
import type { RowJson } from "./row-plan.ts";
import { QUEUE_DEFAULT } from "../../../core/queue-name.ts";
import { BACKOFF_FACTOR_DEFAULT, BACKOFF_MAX_MS_DEFAULT, BACKOFF_MS_DEFAULT, MAX_RETRIES_DEFAULT } from "../../../core/retry-policy.ts";

/** How a column's values are written inside an array literal. */
type Encoding = "bare" | "text" | "json";

interface ColumnSpec {
  /** The record's column, as the statement names it. */
  name: string;
  /** Its SQL element type. */
  type: string;
  encoding: Encoding;
  value: (row: RowJson) => unknown;
}

/** `value` is a getter per column: reading `row[name]` with a variable name is several times slower. */
const column = (name: keyof RowJson, type: string, encoding: Encoding, value: (row: RowJson) => unknown): ColumnSpec => ({ name, type, encoding, value });

/**
 * Every column the insert reads from its input, in the statement's order, and the notice
 * number (a new one at every change of queue or schedule-ness, and every
 * SUBMITTED_IDS_PER_NOTICE rows), which rowColumns fills in.
 */
export const ROW_COLUMNS: readonly ColumnSpec[] = [
  column("id", "uuid", "bare", (r) => r.id),
  column("name", "text", "text", (r) => r.name),
  column("command", "text", "text", (r) => r.command),
  column("env", "jsonb", "json", (r) => r.env),
  column("queue", "text", "text", (r) => r.queue),
  column("priority", "int", "bare", (r) => r.priority),
  column("run_at", "timestamptz", "bare", (r) => r.run_at),
  column("delay_ms", "bigint", "bare", (r) => r.delay_ms),
  column("max_retries", "int", "bare", (r) => r.max_retries),
  column("backoff_ms", "bigint", "bare", (r) => r.backoff_ms),
  column("backoff_factor", "float8", "bare", (r) => r.backoff_factor),
  column("backoff_max_ms", "bigint", "bare", (r) => r.backoff_max_ms),
  column("timeout_ms", "bigint", "bare", (r) => r.timeout_ms),
  column("idempotency_key", "text", "text", (r) => r.idempotency_key),
  column("schedule_id", "uuid", "bare", (r) => r.schedule_id),
  column("created_by", "text", "text", (r) => r.created_by),
  column("concurrency_key", "text", "text", (r) => r.concurrency_key),
  column("concurrency_limit", "int", "bare", (r) => r.concurrency_limit),
  column("on_dependency_failure", "text", "text", (r) => r.on_dependency_failure),
  column("blocked_by", "int", "bare", (r) => r.blocked_by),
  column("has_dependents", "boolean", "bare", (r) => r.has_dependents),
  column("selector", "jsonb", "json", (r) => r.selector),
  column("labels", "jsonb", "json", (r) => r.labels),
  column("fanout", "text", "text", (r) => r.fanout),
  column("fanout_retry", "text", "text", (r) => r.fanout_retry),
  column("pinned_worker", "text", "text", (r) => r.pinned_worker),
  column("parent_id", "uuid", "bare", (r) => r.parent_id),
  { name: "notice", type: "int", encoding: "bare", value: () => 0 },
];

/**
 * The value most rows have in each column that has one: a column where every row has it is
 * sent empty and the statement puts it back (`coalesce(x.col, COMMON.col)`, as a parameter,
 * so the two cannot drift apart). Empty env and labels, and NULLs, are left out the same way.
 */
export const COMMON = {
  queue: QUEUE_DEFAULT,
  priority: 0,
  delay_ms: 0,
  max_retries: MAX_RETRIES_DEFAULT,
  backoff_ms: BACKOFF_MS_DEFAULT,
  backoff_factor: BACKOFF_FACTOR_DEFAULT,
  backoff_max_ms: BACKOFF_MAX_MS_DEFAULT,
  concurrency_limit: 1,
  on_dependency_failure: "cancel",
  blocked_by: 0,
  has_dependents: false,
  fanout_retry: "same",
} as const satisfies Partial<RowJson>;

/** The columns a plain task leaves at their common value (COMMON's, NULL or an empty object); hasOnlyCommonRare reads each. */
export const RARE_COLUMNS: ReadonlySet<string> = new Set([
  "env", "queue", "priority", "delay_ms", "max_retries", "backoff_ms", "backoff_factor", "backoff_max_ms", "timeout_ms",
  "idempotency_key", "schedule_id", "concurrency_key", "concurrency_limit", "on_dependency_failure", "blocked_by",
  "has_dependents", "selector", "labels", "fanout", "fanout_retry", "pinned_worker", "parent_id",
]);

/**
 * Whether every column of RARE_COLUMNS holds its common value in `row`. One call per row with
 * plain property reads: looking at each rare column of each row through ColumnSpec.value
 * (22,000 calls of 22 different getters for 1000 rows) cost more than encoding the rest.
 */
export function hasOnlyCommonRare(r: RowJson): boolean {
  return (
    isEmptyObject(r.env) && r.queue === COMMON.queue && r.priority === COMMON.priority && r.delay_ms === COMMON.delay_ms &&
    r.max_retries === COMMON.max_retries && r.backoff_ms === COMMON.backoff_ms && r.backoff_factor === COMMON.backoff_factor &&
    r.backoff_max_ms === COMMON.backoff_max_ms && r.timeout_ms === null && r.idempotency_key === null && r.schedule_id === null &&
    r.concurrency_key === null && r.concurrency_limit === COMMON.concurrency_limit && r.on_dependency_failure === COMMON.on_dependency_failure &&
    r.blocked_by === COMMON.blocked_by && r.has_dependents === COMMON.has_dependents && r.selector === null && isEmptyObject(r.labels) &&
    r.fanout === null && r.fanout_retry === COMMON.fanout_retry && r.pinned_worker === null && r.parent_id === null
  );
}

/**
 * The array literal of each column of ROW_COLUMNS, in that order (a column where every row
 * has COMMON's value, NULL or an empty object is sent as `{}`).
 *
 * @example rowColumns([{ id: "7d1c…", name: 'say "hi"', … }])[1] // '{"say \\"hi\\""}'
 */
export function rowColumns(rows: RowJson[]): string[] {
  const notices = noticeNumbers(rows);
  const plain = rows.every(hasOnlyCommonRare);
  const common: Partial<Record<string, unknown>> = COMMON;
  return ROW_COLUMNS.map((c) => {
    if (c.name === "notice") return notices;
    if (plain && RARE_COLUMNS.has(c.name)) return "{}";
    const usual = common[c.name] ?? null;
    for (const r of rows) {
      const v = c.value(r);
      if (v !== null && v !== usual && !isEmptyObject(v)) return arrayLiteral(rows, c);
    }
    return "{}";
  });
}

function arrayLiteral(rows: RowJson[], c: ColumnSpec): string {
  // Concatenated rather than joined from an array of parts: about a fifth of the time for 1000 rows.
  let out = "{";
  for (let i = 0; i < rows.length; i++) {
    const v = c.value(rows[i]!);
    if (i > 0) out += ",";
    out += v === null || v === undefined ? "NULL" : c.encoding === "bare" ? String(v) : quoted(c.encoding === "json" ? JSON.stringify(v) : (v as string));
  }
  return `${out}}`;
}

const NEEDS_ESCAPE = /["\\]/;
const ESCAPED = /["\\]/g;

/**
 * An array element in double quotes, with `"` and `\` escaped: inside quotes, commas,
 * braces, spaces and the word NULL are plain text. (Text never holds NUL: validation refuses it.)
 */
function quoted(s: string): string {
  // Most names and commands have nothing to escape; testing first spares the replace.
  return `"${NEEDS_ESCAPE.test(s) ? s.replace(ESCAPED, "\\$&") : s}"`;
}

function noticeNumbers(rows: RowJson[]): string {
  const parts = new Array<number>(rows.length);
  let notice = 0;
  let inNotice = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const prev = rows[i - 1];
    if (prev && (prev.queue !== r.queue || (prev.schedule_id === null) !== (r.schedule_id === null) || inNotice === SUBMITTED_IDS_PER_NOTICE)) {
      notice++;
      inNotice = 0;
    }
    inNotice++;
    parts[i] = notice;
  }
  return `{${parts.join(",")}}`;
}

function isEmptyObject(v: unknown): boolean {
  if (typeof v !== "object" || v === null) return false;
  for (const _ in v) return false;
  return true;
}
