/**
 * The schedule ticker: turns due schedule times into tasks (tickDueSchedules).
 * Every coordinator runs one; the row locks and idempotency keys in the query
 * make that safe, and make the ticker need no leader election.
 *
 * It wakes precisely: a timer set to the nearest next_run_at, with the wait
 * computed by the database (so this machine's clock, even if it steps, never
 * decides what is due), plus a NOTIFY on schedule changes that re-arms the timer,
 * plus a slow poll in case a NOTIFY was lost. The tick's insert sends
 * taskflow_wake, so dispatchers claim the new task within milliseconds.
 */
import type { Service } from "../core/lifecycle.ts";
import { WakeableLoop } from "../core/wakeable-loop.ts";
import type { Database } from "../db/client.ts";
import { parsePayload, SCHEDULE_CHANNEL, type ScheduleChange } from "../db/channels.ts";
import { msUntilNextSchedule } from "../db/queries/next-schedule-due.ts";
import { tickDueSchedules, type TickBatch } from "../db/queries/tick-schedules.ts";
import type { Logger } from "../log/logger.ts";

/** The fallback poll: a lost NOTIFY delays a new schedule's first tick by at most this. */
export const SCHEDULE_POLL_MS = 5000;
/** Most schedules ticked in one transaction. */
const TICK_BATCH_DEFAULT = 100;
/** Due schedules exist but another coordinator holds them: look again this soon (it will have advanced them). */
const CONTENDED_RETRY_MS = 25;
/** After a database error, wait this long before the next pass. */
const ERROR_BACKOFF_MS = 500;

export interface ScheduleTickerOptions {
  pollMs?: number;
  batchSize?: number;
}

export class ScheduleTicker implements Service {
  readonly name = "schedule-ticker";
  private readonly pollMs: number;
  private readonly batchSize: number;
  private readonly loop: WakeableLoop;
  private unlisten: (() => Promise<void>) | null = null;

  constructor(
    private readonly database: Database,
    private readonly log: Logger,
    opts: ScheduleTickerOptions = {},
  ) {
    this.pollMs = opts.pollMs ?? SCHEDULE_POLL_MS;
    this.batchSize = opts.batchSize ?? TICK_BATCH_DEFAULT;
    this.loop = new WakeableLoop(async () => (await this.runOnce(), this.nextWakeMs()), log, { what: "schedule tick", errorBackoffMs: ERROR_BACKOFF_MS });
  }

  async start(): Promise<void> {
    this.unlisten = await this.database.listen(SCHEDULE_CHANNEL, (payload) => {
      // Ticks only move times forward that the ticking coordinator already planned for; edits re-arm.
      if (parsePayload<ScheduleChange>(payload).some((c) => c.change !== "ticked")) this.wake();
    });
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.unlisten?.().catch(() => {});
    this.unlisten = null;
    await this.loop.stop();
  }

  /** Asks for a pass now; calls during a pass coalesce into one more pass. */
  wake(): void {
    this.loop.wake();
  }

  /**
   * Ticks every due schedule (in batches) and logs what happened. Returns how many
   * tasks were made; tests call this directly instead of waiting for the timer.
   */
  async runOnce(): Promise<number> {
    let made = 0;
    for (;;) {
      const batch = await tickDueSchedules(this.database.db, this.batchSize);
      made += this.report(batch);
      if (batch.locked < this.batchSize) return made;
    }
  }

  /** At the nearest next_run_at (+1 ms: a timer may fire a hair early), soon if one is due but held elsewhere, else the poll. */
  private async nextWakeMs(): Promise<number> {
    const ms = await msUntilNextSchedule(this.database.db);
    if (ms === null) return this.pollMs;
    if (ms <= 0) return CONTENDED_RETRY_MS;
    return Math.min(this.pollMs, Math.ceil(ms) + 1);
  }

  private report(batch: TickBatch): number {
    let made = 0;
    for (const t of batch.ticks) {
      if (t.created) made++;
      const due = t.dueAt.toISOString();
      if (t.skippedFrom) {
        this.log.info("schedule {scheduleId}: due times from {from} were missed; ran only the latest, {due}", {
          scheduleId: t.scheduleId,
          from: t.skippedFrom.toISOString(),
          due,
        });
      }
      if (!t.created) this.log.info("schedule {scheduleId}: the task for {due} already existed; not made again", { scheduleId: t.scheduleId, due });
      else this.log.debug("schedule {scheduleId}: task {taskId} for {due}", { scheduleId: t.scheduleId, taskId: t.taskId, due });
      if (t.nextRunAt === null) this.log.warn("schedule {scheduleId}: its expression matches no later time; it will not run again", { scheduleId: t.scheduleId });
    }
    for (const b of batch.broken) {
      this.log.error("schedule {scheduleId} stopped: its times cannot be computed ({error}); edit its cron or time zone to restart it", {
        scheduleId: b.scheduleId,
        error: b.error,
      });
    }
    return made;
  }
}
