/** The JSON of GET /api/events' `task` and `worker` events (SPEC §3). */
import type { TaskChange, WorkerChange } from "../../db/channels.ts";
import type { FailureFacts } from "../../db/queries/load-failure-facts.ts";
import type { TaskRow, WorkerRow } from "../../db/schema/index.ts";
import { taskJson } from "../tasks/task-json.ts";
import { workerJson } from "../workers/routes.ts";

/**
 * The `task` event: the transition (status entered and attempt), and the task as
 * it was when the feed loaded it, without `command` and `env` (large, and not
 * needed to follow progress; GET /api/tasks/:id has them). Its failure_reason is
 * the list's (stderr's last line when the error is only an exit code), from the
 * facts the feed loaded with the row.
 */
export function taskEventJson(change: TaskChange, row: TaskRow | undefined, failure: FailureFacts | null = null) {
  let task = null;
  if (row) {
    const { command: _command, env: _env, ...rest } = taskJson(row, null, failure);
    task = rest;
  }
  return { id: change.id, status: change.status, attempt: change.attempt, task };
}

/** The `worker` event: the status change, and the worker session as the feed loaded it. */
export function workerEventJson(change: WorkerChange, row: WorkerRow | undefined) {
  return { id: change.id, name: change.name, status: change.status, worker: row ? workerJson(row) : null };
}
