/**
 * Pieces every query file shares. Statuses are written into statement text as
 * literals built from core/task-status.ts, so the SQL says the same statuses as
 * the state machine (and only TaskStatus values type-check), while each
 * statement's text stays fixed for prepared-statement reuse.
 */
import { sql, type SQL } from "drizzle-orm";
import type { TaskStatus } from "../core/task-status.ts";

/**
 * One task status as a SQL literal.
 *
 * @example sql`update tasks set status = ${statusSql("picked")}` // … set status = 'picked'
 */
export function statusSql(status: TaskStatus): SQL {
  return sql.raw(`'${status}'`);
}

/**
 * A list of task statuses as a parenthesised SQL list, for `status in …`.
 *
 * @example sql`where status in ${statusListSql(ACTIVE_STATUSES)}` // … in ('picked', 'running')
 */
export function statusListSql(statuses: readonly TaskStatus[]): SQL {
  return sql.raw(`(${statuses.map((s) => `'${s}'`).join(", ")})`);
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `s` is a UUID (any version), the form of every id in the database. */
export function isUuid(s: string): boolean {
  return UUID_PATTERN.test(s);
}

/**
 * A PostgreSQL text[] literal, the same on both drivers: one parameter whatever
 * the count, so the statement text never changes. Use as `${textArray(xs)}::text[]`.
 */
export function textArray(items: readonly string[]): string {
  return `{${items.map((s) => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(",")}}`;
}

/**
 * A PostgreSQL uuid[] literal (`${uuidArray(ids)}::uuid[]`). Anything that is not a
 * UUID is left out rather than failing the statement.
 */
export function uuidArray(ids: readonly string[]): string {
  return `{${ids.filter(isUuid).join(",")}}`;
}
