/**
 * Task states and the transitions between them (SPEC §2 lifecycle):
 *
 *     created → scheduled → picked → running → completed
 *                   ↑                    │   → failed      (retries used up)
 *                   └──── retry ◄────────┘   → cancelled   (by a user)
 */

export const TASK_STATUSES = ["created", "scheduled", "picked", "running", "completed", "failed", "cancelled"] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Statuses a task never leaves by itself. */
export const TERMINAL_STATUSES: readonly TaskStatus[] = ["completed", "failed", "cancelled"];
/** Statuses with a live attempt on a worker: the only ones an attempt's end may move a task out of. */
export const ACTIVE_STATUSES: readonly TaskStatus[] = ["picked", "running"];
/** Statuses of tasks not yet finished (counted as live by the overview and /metrics). */
export const UNFINISHED_STATUSES: readonly TaskStatus[] = ["created", "scheduled", "picked", "running"];

/**
 * Every allowed move. Queries write statuses in SQL (src/db/queries); the test
 * src/db/queries/status-transitions.test.ts runs each of them against tasks in
 * every status and fails on a move this table does not allow.
 */
export const TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  created: ["scheduled", "cancelled"],
  // scheduled → running: a fanout parent, when its first child is picked (it never runs itself; docs/placement.md).
  scheduled: ["picked", "cancelled", "running"],
  // picked → scheduled: the worker was lost before the process started, and a retry is left.
  picked: ["running", "scheduled", "completed", "failed", "cancelled"],
  running: ["completed", "failed", "scheduled", "cancelled"],
  completed: [],
  // A user may retry a failed or cancelled task.
  failed: ["scheduled"],
  cancelled: ["scheduled"],
};

export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isTerminal(status: TaskStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** A user may cancel anything that has not finished. */
export function canCancel(status: TaskStatus): boolean {
  return canTransition(status, "cancelled");
}

/** A user may retry a task that failed or was cancelled. */
export function canRetry(status: TaskStatus): boolean {
  return isTerminal(status) && canTransition(status, "scheduled");
}

export function isTaskStatus(s: string): s is TaskStatus {
  return (TASK_STATUSES as readonly string[]).includes(s);
}

/** Attempt outcomes recorded in task_attempts.status. */
export type AttemptStatus = "picked" | "running" | "completed" | "failed" | "lost" | "cancelled";

/** Worker session states. */
export type WorkerStatus = "alive" | "draining" | "dead";
