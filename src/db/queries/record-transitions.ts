/**
 * Records task transitions: one task_events row each (the timeline). A trigger on
 * task_events publishes them on the task channel when the transaction commits, so
 * every process's change feed hears of them. Every query that changes a task's
 * status outside a single SQL statement calls this.
 */
import { sql } from "drizzle-orm";
import { executePrepared } from "../client.ts";
import type { Executor } from "../sql.ts";

export interface Transition {
  taskId: string;
  attempt: number;
  /** The status entered, or an event kind (retrying, lost). */
  status: string;
  worker?: string | null;
  message?: string | null;
  /** Event time; defaults to the database's now(). */
  at?: Date;
}

export async function recordTransitions(tx: Executor, transitions: Transition[]): Promise<void> {
  if (transitions.length === 0) return;
  // One JSON parameter rather than a VALUES list: a batch of 1000 new tasks records
  // 2000 events, and binding 10,000 parameters costs more than the insert itself.
  const events = transitions.map((t) => ({
    task_id: t.taskId,
    attempt: t.attempt,
    status: t.status,
    worker: t.worker ?? null,
    message: t.message ?? null,
    at: t.at?.toISOString() ?? null,
  }));
  await executePrepared(tx, sql`
    insert into task_events (task_id, attempt, status, worker, message, at)
    select task_id, attempt, status, worker, message, coalesce(at, now())
    from rows from (json_to_recordset(${JSON.stringify(events)}::json)
      as (task_id uuid, attempt int, status text, worker text, message text, at timestamptz))
      with ordinality as e(task_id, attempt, status, worker, message, at, ord)
    order by ord`);
}
