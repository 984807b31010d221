/**
 * Deletes a schedule. The tasks it made stay (tasks.schedule_id keeps pointing
 * at the old id: there is no foreign key, by design). The row is locked first,
 * so a tick in progress on some coordinator finishes before the delete.
 */
import { eq } from "drizzle-orm";
import { NotFoundError } from "../../core/errors.ts";
import type { Db } from "../client.ts";
import { schedules } from "../schema/index.ts";
import { getSchedule } from "./get-schedule.ts";
import type { ScheduleView } from "./list-schedules.ts";
import { notifyScheduleChanges } from "../channels.ts";

/** Deletes schedule `id` and returns it as it was; NotFoundError when there is none. */
export async function deleteSchedule(db: Db, id: string): Promise<{ schedule: ScheduleView; now: Date }> {
  return db.transaction(async (tx) => {
    const [locked] = await tx.select({ id: schedules.id }).from(schedules).where(eq(schedules.id, id)).for("update");
    if (!locked) throw new NotFoundError(`no schedule with id ${id}`);
    const last = (await getSchedule(tx, id))!;
    await tx.delete(schedules).where(eq(schedules.id, id));
    await notifyScheduleChanges(tx, [{ id, change: "deleted" }]);
    return last;
  });
}
