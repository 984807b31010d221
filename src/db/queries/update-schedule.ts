/**
 * Edits a schedule, pausing and resuming included, with its row locked so a
 * tick in progress on some coordinator finishes first (or waits for this).
 *
 * next_run_at rules: pausing clears it (nothing is due while paused); resuming,
 * or changing the cron expression or time zone, recomputes it as the first match
 * strictly after the database's now(), so times missed while paused are never
 * replayed; other edits (name, task) keep it.
 */
import { eq, sql } from "drizzle-orm";
import { nextRunAfter } from "../../core/cron.ts";
import { NotFoundError } from "../../core/errors.ts";
import type { Db } from "../client.ts";
import { schedules } from "../schema/index.ts";
import type { NewSchedule } from "./insert-schedule.ts";
import { dbNow } from "./db-now.ts";
import { getSchedule } from "./get-schedule.ts";
import type { ScheduleView } from "./list-schedules.ts";
import { notifyScheduleChanges } from "../channels.ts";

/** The fields to change; absent ones stay as they are. */
export type SchedulePatch = Partial<NewSchedule>;

/** Applies `patch` to schedule `id` and returns it; NotFoundError when there is none. */
export async function updateSchedule(db: Db, id: string, patch: SchedulePatch): Promise<{ schedule: ScheduleView; now: Date }> {
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(schedules).where(eq(schedules.id, id)).for("update");
    if (!row) throw new NotFoundError(`no schedule with id ${id}`);
    const now = await dbNow(tx);
    const next = { ...row, ...definedOnly(patch) };
    const timingChanged = next.cron !== row.cron || next.timezone !== row.timezone || (row.paused && !next.paused);
    let nextRunAt = row.nextRunAt;
    if (next.paused) nextRunAt = null;
    else if (timingChanged || nextRunAt === null) nextRunAt = nextRunAfter(next.cron, next.timezone, now);
    await tx
      .update(schedules)
      .set({
        name: next.name, cron: next.cron, timezone: next.timezone, template: next.template, paused: next.paused,
        overlap: next.overlap, catchUp: next.catchUp, catchUpMax: next.catchUpMax, nextRunAt, updatedAt: sql`now()`,
      })
      .where(eq(schedules.id, id));
    await notifyScheduleChanges(tx, [{ id, change: "updated" }]);
    return (await getSchedule(tx, id))!;
  });
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
