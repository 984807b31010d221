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
