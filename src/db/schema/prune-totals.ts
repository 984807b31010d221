/** prune_totals: rows the pruners have removed, per table, since the database was made (taskflow_pruned_total). */
import { bigint, pgTable, text, timestamp } from "drizzle-orm/pg-core";

export const pruneTotals = pgTable("prune_totals", {
  /** tasks, task_attempts, task_events or workers. */
  tableName: text("table_name").primaryKey(),
  removed: bigint("removed", { mode: "number" }).notNull().default(0),
  updatedAt: timestamp("updated_at", { withTimezone: true, precision: 6 }).notNull().defaultNow(),
});

export type PruneTotalRow = typeof pruneTotals.$inferSelect;
