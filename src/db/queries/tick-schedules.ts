/**
 * tickDueSchedules: makes the task of every schedule whose next_run_at has come,
 * judged by the database's now(), and advances the schedule, all in one
 * transaction. Three things make each due time produce exactly one task:
 * - the schedule rows are locked `for update skip locked`, so coordinators
 *   ticking at once split the due schedules between them without waiting;
 * - next_run_at / last_run_at move in the same transaction as the insert, so a
 *   crash before commit leaves both undone and the next ticker redoes them;
 * - the task's idempotency key is `schedule:<id>:<due time>` and the insert is
 *   `on conflict do nothing` (insertTasks), so even a redo that somehow finds
 *   the task already made (a lost update, a hand-edited next_run_at) adds none.
 *
 * Missed ticks (everything was down past several due times) collapse into the
 * most recent one: the due time used is the latest match at or before now().
 */
import { coerceError } from "../../core/errors.ts";
import { and, asc, lte, sql } from "drizzle-orm";
import { latestRunAtOrBefore, nextRunAfter } from "../../core/cron.ts";
import type { Db } from "../client.ts";
import { schedules } from "../schema/index.ts";
import { insertTasks, type NewTask } from "./insert-tasks.ts";
import { dbNow } from "./db-now.ts";
import { notifyScheduleChanges } from "../channels.ts";
import { tickTask, type ScheduleTemplate } from "./schedule-template.ts";
import { type Executor, rows } from "../sql.ts";

/** What one tick did. */
export interface Tick {
  scheduleId: string;
  /** The due time the task was made for. */
  dueAt: Date;
  taskId: string;
  /** False when the task for this due time already existed (nothing was added). */
  created: boolean;
  /** When missed due times were skipped: the first of them (the old next_run_at). */
  skippedFrom: Date | null;
  /** The schedule's new next_run_at (null: its expression never matches again). */
  nextRunAt: Date | null;
}

/** A schedule the ticker could not compute times for (stored expression no longer parses); it is stopped. */
export interface BrokenSchedule {
  scheduleId: string;
  error: string;
}

export interface TickBatch {
  ticks: Tick[];
  broken: BrokenSchedule[];
  /** Due schedules locked this time; equal to the limit means more may be due. */
  locked: number;
}

/** Ticks at most `limit` due schedules, oldest due first. */
export async function tickDueSchedules(db: Db, limit: number): Promise<TickBatch> {
  return db.transaction(async (tx) => {
    const due = await tx
      .select({ id: schedules.id, name: schedules.name, cron: schedules.cron, timezone: schedules.timezone, template: schedules.template, nextRunAt: schedules.nextRunAt })
      .from(schedules)
      // `not paused`, spelled as the partial index schedules_due_idx is, so the planner uses it.
      .where(and(sql`not ${schedules.paused}`, lte(schedules.nextRunAt, sql`now()`)))
      .orderBy(asc(schedules.nextRunAt))
      .limit(limit)
      .for("update", { skipLocked: true });
    if (due.length === 0) return { ticks: [], broken: [], locked: 0 };
    const now = await dbNow(tx);
    const planned: { id: string; task: NewTask; dueAt: Date; skippedFrom: Date | null; nextRunAt: Date | null }[] = [];
    const broken: BrokenSchedule[] = [];
    for (const s of due) {
      try {
        const scheduled = s.nextRunAt!;
        const latest = latestRunAtOrBefore(s.cron, s.timezone, now);
        // A next_run_at that is not a match of the expression (set by hand) still fires, at its own time.
        const dueAt = latest !== null && latest > scheduled ? latest : scheduled;
        const template = s.template as unknown as ScheduleTemplate;
        planned.push({
          id: s.id,
          task: tickTask({ id: s.id, name: s.name, template }, dueAt),
          dueAt,
          skippedFrom: dueAt > scheduled ? scheduled : null,
          nextRunAt: nextRunAfter(s.cron, s.timezone, dueAt > now ? dueAt : now),
        });
      } catch (err) {
        broken.push({ scheduleId: s.id, error: coerceError(err).message });
      }
    }
    // The same insert as the task API: created + scheduled events and the wake-up NOTIFY (a savepoint inside this transaction).
    const inserted = await insertTasks(tx, planned.map((p) => p.task));
    const ticks = planned.map((p, i): Tick => ({
      scheduleId: p.id,
      dueAt: p.dueAt,
      taskId: inserted[i]!.task.id,
      created: inserted[i]!.created,
      skippedFrom: p.skippedFrom,
      nextRunAt: p.nextRunAt,
    }));
    await advance(tx, ticks, broken);
    await notifyScheduleChanges(tx, [...ticks, ...broken].map((t) => ({ id: t.scheduleId, change: "ticked" as const })));
    return { ticks, broken, locked: due.length };
  });
}

/** One UPDATE for the whole batch: new next_run_at, last_run_at and last task of each ticked schedule; broken ones stop. */
async function advance(tx: Executor, ticks: Tick[], broken: BrokenSchedule[]): Promise<void> {
  const values = [
    ...ticks.map((t) => ({ id: t.scheduleId, next: t.nextRunAt?.toISOString() ?? null, last: t.dueAt.toISOString(), task: t.taskId })),
    ...broken.map((b) => ({ id: b.scheduleId, next: null, last: null, task: null })),
  ];
  if (values.length === 0) return;
  await tx.execute(sql`
    update schedules s
    set next_run_at = v.next, last_run_at = coalesce(v.last, s.last_run_at), last_task_id = coalesce(v.task, s.last_task_id),
        -- A new last task: the status saved when the previous one was pruned no longer applies.
        last_task_status = case when v.task is null then s.last_task_status end, updated_at = now()
    from jsonb_to_recordset(${JSON.stringify(values)}::jsonb) as v(id uuid, next timestamptz, last timestamptz, task uuid)
    where s.id = v.id`);
}
