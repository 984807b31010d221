/** recordScheduleTicks: what each due time (or run-now) of a schedule did, for its history (schedule_ticks). */
import { sql } from "drizzle-orm";
import type { Executor } from "../sql.ts";

export type TickOutcome = "created" | "queued" | "replaced" | "skipped" | "manual";

export interface TickRecord {
  scheduleId: string;
  dueAt: Date;
  outcome: TickOutcome;
  taskId: string | null;
  message: string | null;
}

export async function recordScheduleTicks(db: Executor, ticks: TickRecord[]): Promise<void> {
  if (ticks.length === 0) return;
  const input = JSON.stringify(ticks.map((t) => ({ schedule_id: t.scheduleId, due_at: t.dueAt.toISOString(), outcome: t.outcome, task_id: t.taskId, message: t.message })));
  await db.execute(sql`
    insert into schedule_ticks (schedule_id, due_at, outcome, task_id, message)
    select schedule_id, due_at, outcome, task_id, message
    from jsonb_to_recordset(${input}::jsonb) as i(schedule_id uuid, due_at timestamptz, outcome text, task_id uuid, message text)`);
}
