/**
 * The ticker on a real database: exactly one task per due time (racing tickers,
 * redone ticks), pause and resume without replay, one catch-up after an outage,
 * and the timer firing on time once started.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { asc, eq, sql } from "drizzle-orm";
import { describeEachBackend, openTestDatabase, type TestDatabase } from "../../test/support/databases.ts";
import { waitFor } from "../../test/support/processes.ts";
import { openDatabase, type Database } from "../db/client.ts";
import { insertSchedule, type NewSchedule } from "../db/queries/insert-schedule.ts";
import { dbNow } from "../db/queries/db-now.ts";
import { updateSchedule } from "../db/queries/update-schedule.ts";
import { schedules, tasks } from "../db/schema/index.ts";
import { getTask } from "../db/queries/get-task.ts";
import { roleLogger } from "../log/logger.ts";
import { ScheduleTicker } from "./schedule-ticker.ts";
import { rows } from "../db/sql.ts";

const log = roleLogger("coordinator", "test");
const template = { command: "true", env: {}, queue: "default", priority: 0, max_retries: 0, backoff_ms: 1000, backoff_factor: 2, backoff_max_ms: 3_600_000, timeout_ms: null };
const schedule = (o: Partial<NewSchedule> = {}): NewSchedule => ({ name: "s", cron: "* * * * * *", timezone: "UTC", template, paused: false, overlap: "allow", catchUp: "latest", catchUpMax: 10, ...o });

describeEachBackend("schedule ticker", (backend) => {
  let d: TestDatabase;
  /** A second, separate client on PostgreSQL (another coordinator); the same one on PGlite, which has one connection. */
  let other: Database;
  beforeAll(async () => {
    d = await openTestDatabase(backend);
    other = d.url ? await openDatabase({ databaseUrl: d.url, dataDir: "", onNotice: () => {} }) : d;
  });
  afterAll(async () => {
    if (other !== d) await other.close();
    await d.close();
  });
  beforeEach(async () => {
    await d.db.execute(sql`truncate tasks, task_attempts, task_output_chunks, task_events, schedules`);
  });

  const tasksOf = (id: string) => d.db.select().from(tasks).where(eq(tasks.scheduleId, id)).orderBy(asc(tasks.runAt));
  const rowOf = async (id: string) => (await d.db.select().from(schedules).where(eq(schedules.id, id)))[0]!;
  /** Makes the schedule due now (or at `at`, an SQL time expression) as if time had passed. */
  const setDue = (id: string, at = sql`now()`) => d.db.update(schedules).set({ nextRunAt: at as unknown as Date }).where(eq(schedules.id, id));

  test("a due time makes one task through the task insert path, and the schedule advances", async () => {
    const { schedule: s } = await insertSchedule(d.db, schedule({ name: "yearly", cron: "0 0 1 1 *" }));
    expect(s.nextRunAt!.getTime()).toBeGreaterThan(Date.now());
    // Due since this year's 1 January: the latest match at or before now, whatever the hour.
    await setDue(s.id, sql`date_trunc('year', now() at time zone 'UTC') at time zone 'UTC'`);
    const due = (await rowOf(s.id)).nextRunAt!;
    const ticker = new ScheduleTicker(d, log);
    expect(await ticker.runOnce()).toBe(1);
    const [task, ...more] = await tasksOf(s.id);
    expect(more).toEqual([]);
    expect(task).toMatchObject({ name: "yearly", command: "true", status: "scheduled", maxRetries: 0, idempotencyKey: `schedule:${s.id}:${due.toISOString()}` });
    expect(task!.runAt.toISOString()).toBe(due.toISOString());
    expect((await getTask(d.db, task!.id))!.events.map((e) => e.status)).toEqual(["created", "scheduled"]);
    const after = await rowOf(s.id);
    expect(after.lastRunAt!.toISOString()).toBe(due.toISOString());
    expect(after.lastTaskId).toBe(task!.id);
    expect(after.nextRunAt!.getUTCFullYear()).toBe(due.getUTCFullYear() + 1);
    expect(await ticker.runOnce()).toBe(0);
  });

  test("two tickers racing make exactly one task per due time, and a redone tick adds none", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await insertSchedule(d.db, schedule({ name: `s${i}`, cron: "0 0 1 1 *" }))).schedule.id);
    // Small batches, so the two tickers interleave over the rows.
    const a = new ScheduleTicker(d, log, { batchSize: 3 });
    const b = new ScheduleTicker(other, log, { batchSize: 3 });
    for (let round = 0; round < 5; round++) {
      // Round 0 is a fresh tick; later rounds put next_run_at back, as a tick whose update was lost would.
      await d.db.update(schedules).set({ nextRunAt: sql`now() - interval '3 years'` as unknown as Date });
      const made = await Promise.all([a.runOnce(), b.runOnce(), a.runOnce(), b.runOnce()]);
      expect(made.reduce((x, y) => x + y, 0)).toBe(round === 0 ? 20 : 0);
      const counts = rows<{ schedule_id: string; n: number }>(
        await d.db.execute(sql`select schedule_id, count(*)::int as n from tasks group by schedule_id`),
      );
      expect(counts.length).toBe(20);
      expect(counts.every((c) => Number(c.n) === 1)).toBe(true);
      const left = await d.db.select().from(schedules).where(sql`next_run_at <= now()`);
      expect(left).toEqual([]);
    }
    expect(new Set((await d.db.select().from(tasks)).map((t) => t.scheduleId))).toEqual(new Set(ids));
  });

  test("after a 5-minute outage, exactly one catch-up task: the latest missed time", async () => {
    const { schedule: s } = await insertSchedule(d.db, schedule({ cron: "* * * * *" }));
    // Everything was down for 5 minutes: the schedule still points at a time 5 minutes ago.
    await d.db
      .update(schedules)
      .set({
        nextRunAt: sql`date_trunc('minute', now()) - interval '5 minutes'` as unknown as Date,
        lastRunAt: sql`date_trunc('minute', now()) - interval '6 minutes'` as unknown as Date,
      })
      .where(eq(schedules.id, s.id));
    const missedFrom = (await rowOf(s.id)).nextRunAt!;
    expect(await new ScheduleTicker(d, log).runOnce()).toBe(1);
    const made = await tasksOf(s.id);
    expect(made.length).toBe(1);
    const due = made[0]!.runAt;
    const now = await dbNow(d.db);
    expect(due.getTime() % 60_000).toBe(0);
    expect(due.getTime()).toBeGreaterThanOrEqual(missedFrom.getTime() + 5 * 60_000);
    expect(now.getTime() - due.getTime()).toBeLessThan(60_000);
    const after = await rowOf(s.id);
    expect(after.lastRunAt!.toISOString()).toBe(due.toISOString());
    expect(after.nextRunAt!.getTime()).toBe(due.getTime() + 60_000);
  });

  test("paused: no tasks, even when due; resumed: the next time runs and the paused ones are not replayed", async () => {
    const { schedule: s } = await insertSchedule(d.db, schedule());
    const ticker = new ScheduleTicker(d, log);
    const paused = await updateSchedule(d.db, s.id, { paused: true });
    expect(paused.schedule.nextRunAt).toBeNull();
    // Even a next_run_at in the past (written behind the API's back) does not tick a paused schedule.
    await setDue(s.id, sql`now() - interval '10 seconds'`);
    const pausedAt = await dbNow(d.db);
    await waitFor("two seconds to pass while paused", async () => (await dbNow(d.db)).getTime() > pausedAt.getTime() + 2000, 5000);
    expect(await ticker.runOnce()).toBe(0);
    const resumed = await updateSchedule(d.db, s.id, { paused: false });
    const next = resumed.schedule.nextRunAt!;
    expect(next.getTime()).toBeGreaterThan(resumed.now.getTime());
    // Before the next time nothing ticks; on a loaded machine that time (a second
    // away) may have come already, and then this tick is its one task.
    const early = await ticker.runOnce();
    if ((await dbNow(d.db)).getTime() < next.getTime()) expect(early).toBe(0);
    await waitFor("the first time after resuming", async () => (await dbNow(d.db)).getTime() >= next.getTime(), 5000);
    expect(early + (await ticker.runOnce())).toBe(1);
    const made = await tasksOf(s.id);
    expect(made.map((t) => t.runAt.toISOString())).toEqual([next.toISOString()]);
  });

  test("a template without a name names each task after the schedule; edits keep next_run_at", async () => {
    const { schedule: s } = await insertSchedule(d.db, schedule({ name: "before", cron: "0 0 1 1 *" }));
    const renamed = await updateSchedule(d.db, s.id, { name: "after" });
    expect(renamed.schedule.nextRunAt!.toISOString()).toBe(s.nextRunAt!.toISOString());
    await setDue(s.id, sql`date_trunc('year', now() at time zone 'UTC') at time zone 'UTC'`);
    await new ScheduleTicker(d, log).runOnce();
    expect((await tasksOf(s.id)).map((t) => t.name)).toEqual(["after"]);
  });

  test("a schedule whose times cannot be computed is stopped and logged, not retried forever", async () => {
    const { schedule: s } = await insertSchedule(d.db, schedule());
    await d.db.update(schedules).set({ cron: "not a cron", nextRunAt: sql`now()` as unknown as Date }).where(eq(schedules.id, s.id));
    const ok = await insertSchedule(d.db, schedule({ name: "fine", cron: "0 0 1 1 *" }));
    await setDue(ok.schedule.id, sql`date_trunc('year', now() at time zone 'UTC') at time zone 'UTC'`);
    expect(await new ScheduleTicker(d, log).runOnce()).toBe(1);
    expect((await rowOf(s.id)).nextRunAt).toBeNull();
    expect(await tasksOf(s.id)).toEqual([]);
  });

  test("started tickers on two clients tick an every-second schedule on time, once per second", async () => {
    const a = new ScheduleTicker(d, log);
    const b = new ScheduleTicker(other, log);
    await a.start();
    await b.start();
    try {
      // Created after the tickers started: the NOTIFY re-arms their timers (the poll alone would wait 5 s).
      const { schedule: s } = await insertSchedule(d.db, schedule());
      const made = await waitFor("4 ticks", async () => {
        const t = await tasksOf(s.id);
        return t.length >= 4 ? t : null;
      }, 10_000);
      const seconds = made.map((t) => t.runAt.getTime() / 1000);
      expect(seconds[0]).toBe(s.nextRunAt!.getTime() / 1000);
      expect(seconds.slice(0, 4)).toEqual([0, 1, 2, 3].map((i) => seconds[0]! + i));
      for (const t of made) expect(t.createdAt.getTime() - t.runAt.getTime()).toBeLessThan(500);
    } finally {
      await a.stop();
      await b.stop();
      await a.stop();
    }
  });

  test("stop() is safe before start()", async () => {
    await new ScheduleTicker(d, log).stop();
  });
});
