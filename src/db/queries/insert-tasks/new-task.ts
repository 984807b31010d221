/** What insertTasks takes and answers. */
import type { TaskRow } from "../../schema/index.ts";

/** A task as submitted, already validated and with defaults applied. */
export interface NewTask {
  name: string;
  command: string;
  env: Record<string, string>;
  queue: string;
  priority: number;
  /** An explicit start time; null means the database's now() plus `delayMs`. */
  runAt: Date | null;
  delayMs: number;
  maxRetries: number;
  backoffMs: number;
  backoffFactor: number;
  backoffMaxMs: number;
  timeoutMs: number | null;
  idempotencyKey: string | null;
  scheduleId?: string | null;
  /** Who submitted it ("api", "dashboard"), shown on its `created` event; null or absent: not recorded. */
  createdBy?: string | null;
  /** At most concurrencyLimit tasks with this key are picked or running at once; null: no key. */
  concurrencyKey?: string | null;
  concurrencyLimit?: number;
  /** Tasks this one runs after: ids of existing tasks, or (a number) the index of an earlier item of the same call. */
  dependsOn?: (string | number)[];
  /** What a failed or cancelled dependency does: cancel this task, or run it anyway. */
  onDependencyFailure?: "cancel" | "run";
  /** Labels a worker must have to take it (docs/placement.md); null or absent: any worker. */
  selector?: Record<string, string> | null;
  /** Free-form metadata; never decides where it runs. */
  labels?: Record<string, string>;
  /** "all" or a number of workers: the task becomes a parent of one child per worker in fanoutWorkers. */
  fanout?: "all" | number | null;
  /** A pinned child's retry: on its own worker (same) or any matching one (any). */
  fanoutRetry?: "same" | "any";
  /** The workers the fanout's children are pinned to, chosen at submit or tick time (core/fanout.ts). */
  fanoutWorkers?: string[];
}

export interface InsertedTask {
  task: TaskRow;
  /** False when the idempotency key was already known and `task` is the earlier one. */
  created: boolean;
}
