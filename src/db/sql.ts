/**
 * What every query file shares: the Executor they run on, reading results
 * (`rows`), parameters that keep a statement's text fixed whatever the input
 * (arrays and JSON record sets as one parameter each, so prepared statements are
 * reused), and task statuses as literals built from core/task-status.ts, so the
 * SQL says the same statuses as the state machine (only TaskStatus values type-check).
 */
import { sql, type SQL } from "drizzle-orm";
import type { AttemptRef } from "../core/attempt.ts";
import type { TaskStatus } from "../core/task-status.ts";
import { isUuid } from "../core/uuid.ts";
import type { Db } from "./client.ts";

/** A drizzle database or transaction: both can run every query (`_` for executePrepared). */
export type Executor = Pick<Db, "_" | "execute" | "insert" | "select" | "update" | "delete">;

/**
 * The rows of a `db.execute()` result. Answers differ by driver: postgres.js gives
 * an array-like RowList, PGlite gives `{ rows }`; query code reads them through this only.
 */
export function rows<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  const r = (result as { rows?: T[] } | null)?.rows;
  return Array.isArray(r) ? r : [];
}

/**
 * Attempts as a record set `i(task_id, attempt, worker_id)`, one JSON parameter
 * whatever their number: join or select from it.
 *
 * @example sql`select t.id from tasks t join ${attemptRefsSql(refs)} on t.id = i.task_id`
 */
export function attemptRefsSql(refs: readonly AttemptRef[]): SQL {
  const input = JSON.stringify(refs.map((r) => ({ task_id: r.taskId, attempt: r.attempt, worker_id: r.workerId })));
  return sql`jsonb_to_recordset(${input}::jsonb) as i(task_id uuid, attempt int, worker_id uuid)`;
}

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

/**
 * A JSON parameter: one parameter however many rows (drizzle would spread an
 * array into one parameter per element), so the statement text stays the same.
 *
 * @example sql`select * from json_to_recordset(${jsonParam(rows)}) as x(id uuid)`
 */
export function jsonParam(value: unknown): SQL {
  return sql`${JSON.stringify(value)}::json`;
}

/**
 * Attempts a statement's earlier step touched, gathered into one value (a jsonb object
 * {task id: attempt}) that a later step of the same statement looks rows up in by key.
 * A join or `exists` between two CTEs runs as a nested loop when the planner guesses
 * they hold a row each (as it does after a three-column join), which is O(n²) in a
 * batch of hundreds; this lookup stays O(log n) per row whatever the guess. A task
 * appears at most once, as an UPDATE changes a row once. Declare the CTE `materialized`:
 * inlined into a FROM, the aggregate would be recomputed for every row.
 *
 * @example sql`moved as materialized (${attemptSetSql(sql`select id, attempt from changed`)}), …`
 * // then: from input i, moved m … where ${inAttemptSetSql("m.attempts", "a.task_id", "a.attempt")}
 */
export function attemptSetSql(pairs: SQL): SQL {
  return sql`select coalesce(jsonb_object_agg(p.id::text, p.attempt), '{}') as attempts from (${pairs}) p`;
}

/** True when (taskId, attempt) is in the set made by attemptSetSql (SQL expressions, written by the caller). */
export function inAttemptSetSql(set: string, taskId: string, attempt: string): SQL {
  return sql.raw(`coalesce((${set} ->> ${taskId}::text)::int = ${attempt}, false)`);
}
