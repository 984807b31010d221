/**
 * Creates a schedule. Its first due time is the first match of its cron
 * expression strictly after the database's now(), so a schedule never fires
 * for a time before it existed. Tickers hear of it at commit (NOTIFY) and
 * re-arm their timers.
 */
import { nextRunAfter } from "../../core/cron.ts";
import type { Db } from "../client.ts";
import { schedules } from "../schema/index.ts";
import { dbNow } from "./db-now.ts";
import type { ScheduleView } from "./list-schedules.ts";
import { notifyScheduleChanges } from "../channels.ts";
import type { ScheduleTemplate } from "./schedule-template.ts";
import type { CatchUp, Overlap } from "../../core/schedule-policy.ts";

/** A validated schedule (cron expression and time zone already checked). */
export interface NewSchedule {
  name: string;
  cron: string;
  /** Canonical IANA name. */
  timezone: string;
  template: ScheduleTemplate;
  paused: boolean;
  /** What a tick does while the last run is live (core/schedule-policy.ts). */
  overlap: Overlap;
  /** Which missed due times run. */
  catchUp: CatchUp;
  catchUpMax: number;
}

/** Inserts `s` and returns it with the database's clock at creation. */
export async function insertSchedule(db: Db, s: NewSchedule): Promise<{ schedule: ScheduleView; now: Date }> {
  return db.transaction(async (tx) => {
    const now = await dbNow(tx);
    // Paused schedules have no next run: resuming computes it from the time of resuming.
    const nextRunAt = s.paused ? null : nextRunAfter(s.cron, s.timezone, now);
    const [row] = await tx.insert(schedules).values({ ...s, nextRunAt }).returning();
    await notifyScheduleChanges(tx, [{ id: row!.id, change: "created" }]);
    return { schedule: { ...row!, lastTaskStatus: null, lastTaskPruned: false }, now };
  });
}
