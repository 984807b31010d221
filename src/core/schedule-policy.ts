/**
 * What a schedule's tick does (docs/flow-control.md), as pure rules: which missed
 * due times it runs (catch_up) and what it does while an earlier run is still live
 * (overlap). db/queries/tick-schedules.ts applies them inside the tick's transaction.
 */

export const OVERLAP_POLICIES = ["allow", "skip", "queue_one", "replace"] as const;
export type Overlap = (typeof OVERLAP_POLICIES)[number];
/** New schedules skip a tick while their last run is live. */
export const OVERLAP_DEFAULT: Overlap = "skip";

export const CATCH_UP_POLICIES = ["latest", "none", "all"] as const;
export type CatchUp = (typeof CATCH_UP_POLICIES)[number];
export const CATCH_UP_DEFAULT: CatchUp = "latest";
/** `all` runs at most this many missed due times unless catch_up_max says otherwise. */
export const CATCH_UP_MAX_DEFAULT = 10;
export const CATCH_UP_MAX_LIMIT = 1000;
/** `none`: a due time later than this is missed, not run. */
export const CATCH_UP_NONE_GRACE_MS = 60_000;

export interface DuePlan {
  /** Due times to make tasks for, oldest first. */
  run: Date[];
  /** Due times passed over: how many, the first and the last. */
  missed: { count: number; first: Date; last: Date } | null;
}

/**
 * The due times one tick runs. `scheduled` is the schedule's next_run_at; `recent`
 * the due times at or before now, latest first (at least catch_up_max of them, for `all`);
 * `passed` how many due times lie in [scheduled, now] (counted up to recent's length).
 *
 * @example duePlan("latest", 10, t0, [t3, t2, t1, t0], now) // run [t3], missed t0…t2
 */
export function duePlan(catchUp: CatchUp, max: number, scheduled: Date, recent: Date[], now: Date): DuePlan {
  // A next_run_at that is not a match of the expression (set by hand) still fires, at its own time.
  const passed = recent.filter((d) => d >= scheduled);
  if (passed.length === 0) passed.push(scheduled);
  const keep = catchUp === "all" ? Math.max(1, max) : 1;
  let run = passed.slice(0, keep).reverse();
  if (catchUp === "none" && now.getTime() - run[0]!.getTime() > CATCH_UP_NONE_GRACE_MS) run = [];
  const dropped = passed.length - run.length;
  if (dropped <= 0) return { run, missed: null };
  const missedTimes = passed.slice(run.length);
  // `recent` may not reach back to `scheduled`: the count is then a lower bound, the first is still `scheduled`.
  return { run, missed: { count: dropped, first: scheduled < (missedTimes.at(-1) ?? scheduled) ? scheduled : missedTimes.at(-1)!, last: missedTimes[0]! } };
}

/** A run of the schedule that has not finished. */
export interface LiveRun {
  id: string;
  status: string;
}

export type OverlapDecision =
  | { kind: "create" }
  | { kind: "skip"; reason: string }
  /** Make the task, to start once these runs have finished. */
  | { kind: "queue"; after: (string | number)[] }
  /** Cancel these runs (their processes are killed), then make the task. */
  | { kind: "replace"; cancel: string[] };

/**
 * What a tick does about the schedule's live runs.
 *
 * @example overlapDecision("skip", [{ id: "a", status: "running" }]) // { kind: "skip", reason: "run a is still running" }
 */
export function overlapDecision(overlap: Overlap, live: LiveRun[]): OverlapDecision {
  if (overlap === "allow" || live.length === 0) return { kind: "create" };
  if (overlap === "skip") return { kind: "skip", reason: `run ${live[0]!.id} is still ${live[0]!.status}` };
  if (overlap === "replace") return { kind: "replace", cancel: live.map((r) => r.id) };
  const waiting = live.find((r) => r.status === "scheduled" || r.status === "created");
  if (waiting) return { kind: "skip", reason: `run ${waiting.id} is already queued` };
  return { kind: "queue", after: live.map((r) => r.id) };
}
