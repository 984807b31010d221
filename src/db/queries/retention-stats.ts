/**
 * retentionStats: what the retention metrics show: the rows pruned so far per
 * table, the age of the oldest finished task still kept per status (each one
 * index lookup on tasks_status_finished_idx), and the database's size on disk.
 */
import { sql } from "drizzle-orm";
import type { FinishedStatus } from "../../core/retention.ts";
import type { Db } from "../client.ts";
import { rows } from "../sql.ts";
import { PRUNED_TABLES, type PrunedTable } from "./prune-totals.ts";

export interface RetentionStats {
  prunedTotal: Record<PrunedTable, number>;
  /** Seconds since the oldest kept task of each status finished; null when there is none. */
  oldestFinishedAgeSeconds: Record<FinishedStatus, number | null>;
  /** pg_database_size of this database, in bytes. */
  databaseSizeBytes: number;
}

export async function retentionStats(db: Db): Promise<RetentionStats> {
  const oldest = (status: FinishedStatus) =>
    sql`(select extract(epoch from now() - finished_at) from tasks where status = ${sql.raw(`'${status}'`)} and finished_at is not null
         order by finished_at asc nulls first, id asc nulls first limit 1)`;
  const [r] = rows<Record<string, string | number | null>>(await db.execute(sql`
    select ${oldest("completed")} as completed, ${oldest("failed")} as failed, ${oldest("cancelled")} as cancelled,
           pg_database_size(current_database()) as size,
           (select coalesce(json_object_agg(table_name, removed), '{}') from prune_totals) as totals`));
  const totals = parseTotals(r?.totals);
  const age = (v: string | number | null | undefined) => (v === null || v === undefined ? null : Math.max(0, Number(v)));
  return {
    prunedTotal: Object.fromEntries(PRUNED_TABLES.map((t) => [t, Number(totals[t] ?? 0)])) as Record<PrunedTable, number>,
    oldestFinishedAgeSeconds: { completed: age(r?.completed), failed: age(r?.failed), cancelled: age(r?.cancelled) },
    databaseSizeBytes: Number(r?.size ?? 0),
  };
}

/** json_object_agg comes back parsed (PGlite) or as text (postgres.js, for json). */
function parseTotals(v: unknown): Record<string, unknown> {
  if (typeof v === "string") return JSON.parse(v) as Record<string, unknown>;
  return (v ?? {}) as Record<string, unknown>;
}
