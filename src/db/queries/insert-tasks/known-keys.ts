/** Idempotency keys a call repeated: the tasks that already had them, read back in the same transaction. */
import { sql } from "drizzle-orm";
import { tasks, type TaskRow } from "../../schema/index.ts";
import { jsonParam, type Executor } from "../../sql.ts";
import type { RowJson } from "./row-plan.ts";

/** The keys of rows the insert skipped: another task already has them. */
export function keysNotInserted(rows: RowJson[], created: TaskRow[]): string[] {
  const ids = new Set(created.map((t) => t.id));
  return rows.filter((r) => r.idempotency_key !== null && !ids.has(r.id)).map((r) => r.idempotency_key!);
}

/** The tasks holding `keys` (in READ COMMITTED, the winners' commits are visible). */
export async function tasksWithKeys(tx: Executor, keys: string[]): Promise<TaskRow[]> {
  if (keys.length === 0) return [];
  return tx
    .select()
    .from(tasks)
    .where(sql`${tasks.idempotencyKey} in (select json_array_elements_text(${jsonParam(keys)}))`)
    .prepare("tasks_with_keys")
    .execute();
}
