/**
 * `taskflow_schedule`: a schedule was created, changed, deleted or ticked. Every
 * coordinator's ticker listens, so a new or edited schedule re-arms its timer at
 * once instead of at the next poll; dashboards can follow it too. The payload is
 * a JSON array of ScheduleChange (see channels.ts for the chunking rules).
 */
import { notifySql } from "../channels.ts";
import type { Executor } from "./record-transitions.ts";

export const SCHEDULE_CHANNEL = "taskflow_schedule";

/** "ticked" changes only last_run_at / next_run_at, so tickers need not re-arm for it. */
export type ScheduleChangeKind = "created" | "updated" | "deleted" | "ticked";

export interface ScheduleChange {
  id: string;
  change: ScheduleChangeKind;
}

/** Sends `changes` when the transaction of `tx` commits. */
export async function notifyScheduleChanges(tx: Executor, changes: ScheduleChange[]): Promise<void> {
  const notify = notifySql(SCHEDULE_CHANNEL, changes);
  if (notify) await tx.execute(notify);
}
