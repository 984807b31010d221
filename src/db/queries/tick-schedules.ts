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
 * Which due times run is the schedule's catch_up policy, and what a tick does
 * while an earlier run is live is its overlap policy (core/schedule-policy.ts):
 * a skip makes no task, queue_one makes one that waits for the live run (a
 * run-after dependency), replace cancels the live run in this same transaction.
 * Every outcome, skips included, is recorded in schedule_ticks.
 */
import { coerceError } from "../../core/errors.ts";
import { and, asc, lte, sql } from "drizzle-orm";
import { latestRunsAtOrBefore, nextRunAfter } from "../../core/cron.ts";
import { ConflictError } from "../../core/errors.ts";
import { duePlan, overlapDecision, type CatchUp, type LiveRun, type Overlap, type OverlapDecision } from "../../core/schedule-policy.ts";
import type { Db } from "../client.ts";
import { schedules, type ScheduleRow } from "../schema/index.ts";
import { cancelTask } from "./cancel-task.ts";
import { listLiveScheduleRuns } from "./list-live-schedule-runs.ts";
import { recordScheduleTicks, type TickOutcome, type TickRecord } from "./record-schedule-ticks.ts";
import { insertTasks, type NewTask } from "./insert-tasks.ts";
import { dbNow } from "./db-now.ts";
import { notifyScheduleChanges } from "../channels.ts";
import { tickTask, type ScheduleTemplate } from "./schedule-template.ts";
import { type Executor, rows } from "../sql.ts";
import { chooseFanoutWorkers, type FanoutCandidate } from "../../core/fanout.ts";
import { listFanoutCandidates } from "./list-fanout-candidates.ts";

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
      .select()
      .from(schedules)
      // `not paused`, spelled as the partial index schedules_due_idx is, so the planner uses it.
      .where(and(sql`not ${schedules.paused}`, lte(schedules.nextRunAt, sql`now()`)))
      .orderBy(asc(schedules.nextRunAt))
      .limit(limit)
      .for("update", { skipLocked: true });
    if (due.length === 0) return { ticks: [], broken: [], locked: 0 };
    const now = await dbNow(tx);
    const live = await listLiveScheduleRuns(tx, due.map((s) => s.id));
    const fanoutCandidates = await candidatesForFanouts(tx, due);
    const planned: PlannedTick[] = [];
    const broken: BrokenSchedule[] = [];
    for (const s of due) {
      try {
        planned.push(planTick(s, live.get(s.id) ?? [], now, fanoutCandidates));
      } catch (err) {
        broken.push({ scheduleId: s.id, error: coerceError(err).message });
      }
    }
    // Replaced runs are cancelled first (their processes are killed), in this transaction.
    for (const id of planned.flatMap((p) => p.cancel)) await cancelTask(tx as unknown as Db, id, "replaced by the next run of its schedule").catch(ignoreFinished);
    // The same insert as the task API: created + scheduled events and the wake-up NOTIFY (a savepoint inside this transaction).
    const inserted = await insertTasks(tx as unknown as Db, withBatchIndexes(planned));
    const ticks: Tick[] = [];
    const records: TickRecord[] = [];
    let i = 0;
    for (const p of planned) {
      p.runs.forEach((r) => {
        const made = inserted[i++]!;
        ticks.push({ scheduleId: p.id, dueAt: r.dueAt, taskId: made.task.id, created: made.created, skippedFrom: p.skippedFrom, nextRunAt: p.nextRunAt });
        if (made.created) records.push({ scheduleId: p.id, dueAt: r.dueAt, outcome: r.outcome, taskId: made.task.id, message: r.message });
      });
      records.push(...p.skipped.map((k) => ({ scheduleId: p.id, dueAt: k.dueAt, outcome: "skipped" as const, taskId: null, message: k.message })));
    }
    await advance(tx, planned, broken);
    await recordScheduleTicks(tx, records);
    await notifyScheduleChanges(tx, [...planned.map((p) => p.id), ...broken.map((b) => b.scheduleId)].map((id) => ({ id, change: "ticked" as const })));
    return { ticks, broken, locked: due.length };
  });
}

/** One schedule's tick: the tasks it makes (in order), the runs it cancels, what it skips, and where it moves next_run_at. */
interface PlannedTick {
  id: string;
  tasks: NewTask[];
  runs: { dueAt: Date; outcome: TickOutcome; message: string | null }[];
  cancel: string[];
  skipped: { dueAt: Date; message: string }[];
  skippedFrom: Date | null;
  nextRunAt: Date | null;
  lastRunAt: Date;
}

/**
 * The catch-up policy picks the due times to run; the overlap policy decides about the
 * first of them against the live runs. Later ones of the same tick (catch_up all) run one
 * after another unless overlap is allow: they are a backlog worked through, not overlap.
 */
function planTick(s: ScheduleRow, live: LiveRun[], now: Date, candidates: Map<string, FanoutCandidate[]>): PlannedTick {
  const scheduled = s.nextRunAt!;
  const catchUp = s.catchUp as CatchUp;
  const keep = catchUp === "all" ? s.catchUpMax : 1;
  const plan = duePlan(catchUp, s.catchUpMax, scheduled, latestRunsAtOrBefore(s.cron, s.timezone, now, keep + 1), now);
  const lastDue = plan.run.at(-1) ?? plan.missed?.last ?? scheduled;
  const out: PlannedTick = {
    id: s.id, tasks: [], runs: [], cancel: [], skipped: [], skippedFrom: plan.missed?.first ?? null,
    nextRunAt: nextRunAfter(s.cron, s.timezone, lastDue > now ? lastDue : now), lastRunAt: lastDue,
  };
  if (plan.missed) {
    const m = plan.missed;
    out.skipped.push({ dueAt: m.first, message: `missed while no coordinator ticked (catch_up ${catchUp}): ${m.count > 1 ? `${m.count} due times, ${m.first.toISOString()} to ${m.last.toISOString()}` : m.first.toISOString()}` });
  }
  const template = s.template as unknown as ScheduleTemplate;
  const overlap = s.overlap as Overlap;
  /** The index in `out.tasks` of the run before (a number: an earlier item of the same insert). */
  let previous: number | null = null;
  for (const dueAt of plan.run) {
    const task = tickTask({ id: s.id, name: s.name, template }, dueAt);
    const decision: OverlapDecision = previous === null ? overlapDecision(overlap, live) : overlap === "allow" ? { kind: "create" } : { kind: "queue", after: [previous] };
    if (decision.kind === "skip") {
      out.skipped.push({ dueAt, message: decision.reason });
      continue;
    }
    if (task.fanout) {
      // Fanout (docs/placement.md): the children's workers are chosen now, once per due time; the
      // parent's idempotency key makes a second coordinator's tick add neither it nor its children.
      const problem = decision.kind === "queue" ? "overlap queue_one cannot wait with fanout; the tick is skipped" : placeFanout(task, candidates);
      if (problem) {
        out.skipped.push({ dueAt, message: problem });
        continue;
      }
    }
    if (decision.kind === "queue") Object.assign(task, { dependsOn: decision.after, onDependencyFailure: "run" });
    if (decision.kind === "replace") out.cancel.push(...decision.cancel);
    const outcome: TickOutcome = decision.kind === "queue" ? "queued" : decision.kind === "replace" ? "replaced" : "created";
    const message = decision.kind === "queue" ? `starts after ${decision.after.map((a) => (typeof a === "number" ? "the run before" : a)).join(", ")}` : decision.kind === "replace" ? `cancelled ${decision.cancel.join(", ")}` : null;
    out.tasks.push(task);
    out.runs.push({ dueAt, outcome, message });
    previous = out.tasks.length - 1;
  }
  return out;
}

/** The live workers of each queue a due fanout schedule runs in, read once per tick batch. */
async function candidatesForFanouts(tx: Executor, due: ScheduleRow[]): Promise<Map<string, FanoutCandidate[]>> {
  const queues = new Set(due.map((s) => s.template as unknown as ScheduleTemplate).filter((t) => t.fanout).map((t) => t.queue));
  const out = new Map<string, FanoutCandidate[]>();
  for (const q of queues) out.set(q, await listFanoutCandidates(tx, q));
  return out;
}

/** Pins the task's children to the workers fanout chooses; the reason when there are none to choose. */
function placeFanout(task: NewTask, candidates: Map<string, FanoutCandidate[]>): string | null {
  const choice = chooseFanoutWorkers(task.fanout!, task.selector ?? null, candidates.get(task.queue) ?? []);
  if (!choice.ok) return `fanout: ${choice.reason} (queue ${task.queue})`;
  task.fanoutWorkers = choice.workers;
  return null;
}

/** All planned tasks in one list; a reference to an earlier task of the same schedule becomes its index in that list. */
function withBatchIndexes(planned: PlannedTick[]): NewTask[] {
  let offset = 0;
  return planned.flatMap((p) => {
    const base = offset;
    offset += p.tasks.length;
    return p.tasks.map((t) => (t.dependsOn ? { ...t, dependsOn: t.dependsOn.map((d) => (typeof d === "number" ? d + base : d)) } : t));
  });
}

/** A run that finished between the live read and its cancel needs no cancelling. */
function ignoreFinished(err: unknown): void {
  if (!(err instanceof ConflictError)) throw err;
}

/**
 * One UPDATE for the whole batch: new next_run_at and last_run_at of each ticked schedule; broken ones stop.
 * last_task_id follows the newest task the schedule made (a skipped tick leaves it).
 */
async function advance(tx: Executor, planned: PlannedTick[], broken: BrokenSchedule[]): Promise<void> {
  const values = [
    ...planned.map((p) => ({ id: p.id, next: p.nextRunAt?.toISOString() ?? null, last: p.lastRunAt.toISOString(), task: null as string | null })),
    ...broken.map((b) => ({ id: b.scheduleId, next: null, last: null, task: null })),
  ];
  if (values.length === 0) return;
  await tx.execute(sql`
    update schedules s
    set next_run_at = v.next, last_run_at = coalesce(v.last, s.last_run_at),
        last_task_id = coalesce(newest.id, s.last_task_id),
        -- A new last task: the status saved when the previous one was pruned no longer applies.
        last_task_status = case when newest.id is not null and newest.id is distinct from s.last_task_id then null else s.last_task_status end,
        updated_at = now()
    from jsonb_to_recordset(${JSON.stringify(values)}::jsonb) as v(id uuid, next timestamptz, last timestamptz, task uuid)
    left join lateral (select t.id from tasks t where t.schedule_id = v.id order by t.created_at desc limit 1) newest on true
    where s.id = v.id`);
}
