/** The tick's overlap and catch-up policies on a real database (the ticker's loop is in coordinator/schedule-ticker.test.ts). */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { describeEachBackend, openTestDatabase, type TestDatabase } from "../../../test/support/databases.ts";
import { waitFor } from "../../../test/support/processes.ts";
import type { CatchUp, Overlap } from "../../core/schedule-policy.ts";
import { schedules, tasks } from "../schema/index.ts";
import { rows } from "../sql.ts";
import { insertSchedule } from "./insert-schedule.ts";
import { openDatabase } from "../client.ts";
import { listScheduleTicks } from "./list-schedule-ticks.ts";
import { tickDueSchedules } from "./tick-schedules.ts";

const template = { command: "true", env: {}, queue: "default", priority: 0, max_retries: 0, backoff_ms: 1000, backoff_factor: 2, backoff_max_ms: 3_600_000, timeout_ms: null };

describeEachBackend("tickDueSchedules policies", (backend) => {
  let d: TestDatabase;
  beforeAll(async () => {
    d = await openTestDatabase(backend);
  });
  afterAll(() => d.close());
  beforeEach(async () => {
    await d.db.execute(sql`truncate tasks, task_attempts, task_output_chunks, task_events, schedules, schedule_ticks, task_dependencies, concurrency_keys`);
  });

  /** An every-minute schedule whose next run was `minutesAgo` minutes ago (whole minutes). */
  const due = async (o: { overlap?: Overlap; catchUp?: CatchUp; catchUpMax?: number; minutesAgo?: number; cron?: string } = {}) => {
    const { schedule } = await insertSchedule(d.db, {
      name: "s", cron: o.cron ?? "* * * * *", timezone: "UTC", template, paused: false,
      overlap: o.overlap ?? "skip", catchUp: o.catchUp ?? "latest", catchUpMax: o.catchUpMax ?? 10,
    });
    await setDue(schedule.id, o.minutesAgo ?? 0);
    return schedule.id;
  };
  /** Due `minutesAgo` whole minutes back; 0: due just now, at a time of its own (a hand-set next_run_at fires at its own time), so each tick has a new due time. */
  const setDue = (id: string, minutesAgo: number) =>
    minutesAgo === 0
      ? d.db.execute(sql`update schedules set next_run_at = now() - interval '1 millisecond' where id = ${id}`)
      : d.db.execute(sql`update schedules set next_run_at = date_trunc('minute', now()) - ${minutesAgo} * interval '1 minute' where id = ${id}`);
  const tasksOf = (id: string) => d.db.select().from(tasks).where(eq(tasks.scheduleId, id)).orderBy(tasks.runAt);
  const outcomes = async (id: string) => (await listScheduleTicks(d.db, id)).reverse().map((t) => t.outcome);

  test("skip: a tick while the last run is live makes no task and is recorded; once it finished the next tick runs", async () => {
    const id = await due({ overlap: "skip" });
    await tickDueSchedules(d.db, 10);
    const [first] = await tasksOf(id);
    await setDue(id, 0);
    await tickDueSchedules(d.db, 10);
    expect(await tasksOf(id)).toHaveLength(1);
    const ticks = await listScheduleTicks(d.db, id);
    expect(ticks[0]).toMatchObject({ outcome: "skipped", taskId: null, message: `run ${first!.id} is still scheduled` });
    await d.db.execute(sql`update tasks set status = 'completed' where id = ${first!.id}`);
    await setDue(id, 0);
    await tickDueSchedules(d.db, 10);
    expect(await tasksOf(id)).toHaveLength(2);
    expect(await outcomes(id)).toEqual(["created", "skipped", "created"]);
  });

  test("queue_one: one run waits behind the live one (a dependency); a third tick is skipped", async () => {
    const id = await due({ overlap: "queue_one" });
    await tickDueSchedules(d.db, 10);
    const [live] = await tasksOf(id);
    await d.db.execute(sql`update tasks set status = 'running' where id = ${live!.id}`);
    for (let i = 0; i < 2; i++) {
      await setDue(id, 0);
      await tickDueSchedules(d.db, 10);
    }
    const all = await tasksOf(id);
    expect(all).toHaveLength(2);
    expect(all[1]!.blockedBy).toBe(1);
    expect(await outcomes(id)).toEqual(["created", "queued", "skipped"]);
    await d.db.execute(sql`update tasks set status = 'failed' where id = ${live!.id}`);
    const [queued] = await d.db.select().from(tasks).where(eq(tasks.id, all[1]!.id));
    expect({ status: queued!.status, blockedBy: queued!.blockedBy }).toEqual({ status: "scheduled", blockedBy: 0 });
  });

  test("replace: the live run is cancelled in the tick's transaction (a cancel request goes out) and a new one made", async () => {
    const id = await due({ overlap: "replace" });
    await tickDueSchedules(d.db, 10);
    const [live] = await tasksOf(id);
    await d.db.execute(sql`update tasks set status = 'running', attempt = 1, worker_id = gen_random_uuid() where id = ${live!.id}`);
    await d.db.execute(sql`insert into task_attempts (task_id, attempt, worker_id, worker, status) select id, 1, worker_id, 'w', 'running' from tasks where id = ${live!.id}`);
    const cancels: string[] = [];
    const stop = await d.listen("taskflow_cancel", (p) => cancels.push(p));
    await setDue(id, 0);
    await tickDueSchedules(d.db, 10);
    const all = await tasksOf(id);
    expect(all.map((t) => t.status)).toEqual(["cancelled", "scheduled"]);
    expect(all[0]!.error).toBe("replaced by the next run of its schedule");
    expect(await outcomes(id)).toEqual(["created", "replaced"]);
    await waitFor("the cancel request", () => cancels.join().includes(live!.id), 5000);
    await stop();
  });

  test("allow: every tick makes a task, live runs or not", async () => {
    const id = await due({ overlap: "allow" });
    await tickDueSchedules(d.db, 10);
    await setDue(id, 0);
    await tickDueSchedules(d.db, 10);
    expect(await tasksOf(id)).toHaveLength(2);
    expect(await outcomes(id)).toEqual(["created", "created"]);
  });

  test("catch-up after 10 missed minutes: latest runs one, none only an on-time one, all runs the cap's latest in a chain", async () => {
    const latest = await due({ catchUp: "latest", minutesAgo: 10 });
    const none = await due({ catchUp: "none", minutesAgo: 10 });
    // A yearly schedule missed for two years: its latest due time is far over a minute late.
    const noneLate = await due({ catchUp: "none", cron: "0 0 1 1 *", minutesAgo: 2 * 366 * 24 * 60 });
    const all = await due({ catchUp: "all", catchUpMax: 3, minutesAgo: 10, overlap: "skip" });
    await tickDueSchedules(d.db, 10);
    // Minutes before the tick, by the tick's own time (not the test's clock: a minute may turn between the two).
    const tickedAt = async (id: string) => (await listScheduleTicks(d.db, id))[0]!.createdAt.getTime();
    const minutes = async (id: string) => {
      const at = await tickedAt(id);
      return (await tasksOf(id)).map((t) => Math.floor((at - t.runAt.getTime()) / 60_000));
    };
    expect(await minutes(latest)).toEqual([0]);
    expect(await minutes(none)).toEqual([0]);
    expect(await outcomes(none)).toEqual(["skipped", "created"]);
    expect(await tasksOf(noneLate)).toEqual([]);
    expect(await outcomes(noneLate)).toEqual(["skipped"]);
    const chain = await tasksOf(all);
    expect(await minutes(all)).toEqual([2, 1, 0]);
    expect(chain.map((t) => t.blockedBy)).toEqual([0, 1, 1]);
    const [row] = rows<{ n: number }>(await d.db.execute(sql`select count(*)::int as n from task_dependencies where task_id = ${chain[2]!.id} and depends_on = ${chain[1]!.id}`));
    expect(row!.n).toBe(1);
    const [s] = await d.db.select().from(schedules).where(eq(schedules.id, all));
    expect(s!.nextRunAt!.getTime()).toBeGreaterThan(Date.now() - 1000);
  });

  for (const overlap of ["allow", "skip", "queue_one", "replace"] as const) {
    test(`exactly one outcome per due second with two tickers racing (overlap ${overlap})`, async () => {
      const other = d.url ? await openDatabase({ databaseUrl: d.url, dataDir: "", onNotice: () => {} }) : d;
      const { schedule } = await insertSchedule(d.db, { name: "s", cron: "* * * * * *", timezone: "UTC", template, paused: false, overlap, catchUp: "latest", catchUpMax: 10 });
      const until = Date.now() + 4000;
      let finishing = true;
      // Runs end now and then, so every policy meets both a live run and an idle schedule.
      const finisher = (async () => {
        while (finishing) {
          await d.db.execute(sql`update tasks set status = 'completed', finished_at = now() where id in (select id from tasks where status = 'scheduled' and blocked_by = 0 order by created_at limit 1)`);
          await Bun.sleep(1500);
        }
      })();
      await Promise.all([d, other].map(async (db) => {
        while (Date.now() < until) {
          await tickDueSchedules(db.db, 10);
          await Bun.sleep(20);
        }
      }));
      finishing = false;
      await finisher;
      if (other !== d) await other.close();
      const ticks = (await listScheduleTicks(d.db, schedule.id, 1000)).filter((t) => t.outcome !== "skipped" || !t.message?.startsWith("missed"));
      const byDue = new Map<number, string[]>();
      for (const t of ticks) byDue.set(t.dueAt.getTime(), [...(byDue.get(t.dueAt.getTime()) ?? []), t.outcome]);
      const dues = [...byDue.keys()].sort((a, b) => a - b);
      expect(dues.length).toBeGreaterThanOrEqual(2);
      expect([...byDue.values()].filter((o) => o.length !== 1)).toEqual([]);
      expect(dues.slice(1).filter((due, i) => due - dues[i]! !== 1000)).toEqual([]);
      const made = await tasksOf(schedule.id);
      expect(made.length).toBe(ticks.filter((t) => t.outcome !== "skipped").length);
      if (overlap === "skip") expect(ticks.some((t) => t.outcome === "skipped")).toBe(true);
    });
  }
});
