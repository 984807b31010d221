/**
 * The running count of rows removed by pruning, per table (prune_totals), added to
 * by the statement that removes them, so the count can never disagree with what
 * was deleted. Rows are added in a fixed order (tasks, task_attempts, task_events,
 * workers), so pruners adding at once queue on the same rows instead of deadlocking.
 */
import { sql, type SQL } from "drizzle-orm";

/** Tables whose pruned rows are counted, in the order their counters are locked. */
export const PRUNED_TABLES = ["tasks", "task_attempts", "task_events", "workers"] as const;
export type PrunedTable = (typeof PRUNED_TABLES)[number];

/**
 * A CTE body that adds `counts` (a query answering one row of the named bigint
 * columns) to prune_totals, skipping zeros. For a WITH clause: `totals as (…)`.
 */
export function addToPruneTotals(counts: SQL, columns: Partial<Record<PrunedTable, string>>): SQL {
  const pairs = PRUNED_TABLES.filter((t) => columns[t] !== undefined).map((t) => sql`(${t}, c.${sql.identifier(columns[t]!)})`);
  return sql`
    insert into prune_totals (table_name, removed)
    select v.table_name, v.n from (${counts}) c cross join lateral (values ${sql.join(pairs, sql`, `)}) as v(table_name, n)
    where v.n > 0
    on conflict (table_name) do update set removed = prune_totals.removed + excluded.removed, updated_at = now()`;
}
