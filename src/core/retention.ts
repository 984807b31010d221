/**
 * Retention policies: how long finished tasks (with their attempts, events and
 * output) and dead worker sessions are kept before the pruner removes them. A
 * period is in milliseconds since the row finished; null keeps rows forever.
 */
import { TERMINAL_STATUSES, type TaskStatus } from "./task-status.ts";

/** A finished status a policy applies to. */
export type FinishedStatus = "completed" | "failed" | "cancelled";
export const FINISHED_STATUSES = TERMINAL_STATUSES as readonly FinishedStatus[];

export interface RetentionPolicy {
  /** Completed tasks, after finished_at. */
  completed: number | null;
  /** Failed tasks (retries used up), after finished_at. */
  failed: number | null;
  /** Cancelled tasks, after finished_at. */
  cancelled: number | null;
  /** Dead worker sessions, after stopped_at. */
  workers: number | null;
}

/** What one prune covers: task statuses with their ages, and dead worker sessions (null: left alone). */
export interface PrunePlan {
  tasks: { status: FinishedStatus; olderThanMs: number }[];
  workersOlderThanMs: number | null;
}

/** The plan a policy gives: every status and the workers that have a period. */
export function planFromPolicy(policy: RetentionPolicy): PrunePlan {
  return {
    tasks: FINISHED_STATUSES.flatMap((status) => (policy[status] === null ? [] : [{ status, olderThanMs: policy[status]! }])),
    workersOlderThanMs: policy.workers,
  };
}

export function isFinishedStatus(s: string): s is FinishedStatus {
  return (FINISHED_STATUSES as readonly string[]).includes(s as TaskStatus);
}
