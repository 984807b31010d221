/**
 * finishedCounts: finished tasks (completed, failed, cancelled) counted only up to a
 * cap, so a table of ten million finished tasks costs the same as one of a hundred
 * thousand (the *_total counters are the way to follow outcomes over time). Counting
 * up to the cap reads that many entries of tasks_status_finished_idx (~20–30 ms per
 * 100,000), so callers read it less often than the live counts.
 */
import { sql } from "drizzle-orm";
import { TERMINAL_STATUSES, type TaskStatus } from "../../core/task-status.ts";
import type { Db } from "../client.ts";
import { rows } from "../sql.ts";

/** Finished tasks are counted up to this many per status. */
export const FINISHED_COUNT_CAP = 100_000;

/** Finished tasks per terminal status, each at most FINISHED_COUNT_CAP. */
export type FinishedCounts = Record<"completed" | "failed" | "cancelled", number>;

/**
 * Finished tasks per status, each counted up to `cap` (a count equal to the cap
 * means "at least"); only `statuses` are counted, the others read 0. Each count is an index-only scan of at most `cap` entries of
 * tasks_status_finished_idx (the finished tasks, by status); the ORDER BY
 * is that index's order, so the planner takes it rather than a sequential scan
 * that looks cheaper when most rows match but reads past every other row.
 */
export async function finishedCounts(db: Db, cap = FINISHED_COUNT_CAP, statuses: readonly TaskStatus[] = TERMINAL_STATUSES): Promise<FinishedCounts> {
  if (statuses.length === 0) return { completed: 0, failed: 0, cancelled: 0 };
  const found = rows<{ status: string; n: number | string }>(
    await db.execute(
      sql.join(
        statuses.map(
          (s) => sql`select ${s}::text as status, (select count(*) from (
            select 1 from tasks where status = ${s} order by status, finished_at desc nulls last limit ${cap}) capped) as n`,
        ),
        sql` union all `,
      ),
    ),
  );
  return Object.fromEntries(TERMINAL_STATUSES.map((s) => [s, Number(found.find((r) => r.status === s)?.n ?? 0)])) as FinishedCounts;
}
