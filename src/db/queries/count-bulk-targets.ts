/**
 * How many tasks a filter matches, and how many of them are in statuses an action
 * may change: a bulk action's dry run ("this will cancel 1,204 tasks") and its
 * `skipped` count. One pass over the list's own conditions and indexes.
 */
import { and, sql } from "drizzle-orm";
import type { TaskStatus } from "../../core/task-status.ts";
import type { Db } from "../client.ts";
import { tasks } from "../schema/index.ts";
import { statusListSql } from "../sql.ts";
import { taskListConditions, type TaskListFilter } from "./list-tasks.ts";

export interface BulkTargets {
  matched: number;
  changeable: number;
}

export async function countBulkTargets(db: Db, f: Omit<TaskListFilter, "limit" | "after">, changeable: readonly TaskStatus[]): Promise<BulkTargets> {
  // `in ()` is not SQL: no changeable status means none changeable.
  const isChangeable = changeable.length === 0 ? sql`false` : sql`${tasks.status} in ${statusListSql(changeable)}`;
  const [r] = await db
    .select({
      matched: sql<number>`count(*)::int`,
      changeable: sql<number>`(count(*) filter (where ${isChangeable}))::int`,
    })
    .from(tasks)
    .where(and(...taskListConditions({ ...f, after: null })));
  return { matched: Number(r?.matched ?? 0), changeable: Number(r?.changeable ?? 0) };
}
