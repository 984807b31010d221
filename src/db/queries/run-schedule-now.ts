/**
 * runScheduleNow: a run of schedule `id` outside its cron, for a user. The task is
 * the schedule's template due now, keyed `schedule:<id>:manual:<uuid>` (so it is told
 * apart from ticks and never collides with one), and recorded in the schedule's
 * history as `manual`. Overlap does not apply: the user asked for this run.
 */
import { eq, sql } from "drizzle-orm";
import { ConflictError, NotFoundError } from "../../core/errors.ts";
import { chooseFanoutWorkers } from "../../core/fanout.ts";
import { listFanoutCandidates } from "./list-fanout-candidates.ts";
import type { Db } from "../client.ts";
import { schedules, type TaskRow } from "../schema/index.ts";
import { notifyScheduleChanges } from "../channels.ts";
import { insertTasks } from "./insert-tasks.ts";
import { recordScheduleTicks } from "./record-schedule-ticks.ts";
import { tickTask, type ScheduleTemplate } from "./schedule-template.ts";

export async function runScheduleNow(db: Db, id: string): Promise<TaskRow> {
  return db.transaction(async (tx) => {
    const [s] = await tx.select().from(schedules).where(eq(schedules.id, id)).for("update");
    if (!s) throw new NotFoundError(`no schedule with id ${id}`);
    const task = { ...tickTask({ id: s.id, name: s.name, template: s.template as unknown as ScheduleTemplate }, new Date(0)), runAt: null, idempotencyKey: `schedule:${s.id}:manual:${crypto.randomUUID()}` };
    if (task.fanout) {
      const choice = chooseFanoutWorkers(task.fanout, task.selector ?? null, await listFanoutCandidates(tx, task.queue));
      if (!choice.ok) throw new ConflictError(`fanout: ${choice.reason} (queue ${task.queue})`);
      task.fanoutWorkers = choice.workers;
    }
    const [made] = await insertTasks(tx as unknown as Db, [task]);
    await tx.update(schedules).set({ lastTaskId: made!.task.id, updatedAt: sql`now()` }).where(eq(schedules.id, id));
    await recordScheduleTicks(tx, [{ scheduleId: id, dueAt: made!.task.runAt, outcome: "manual", taskId: made!.task.id, message: "run now by a user" }]);
    await notifyScheduleChanges(tx, [{ id, change: "updated" }]);
    return made!.task;
  });
}
