/**
 * The `created` and `scheduled` events of a task whose submission stored none
 * (tasks.submit_events_in_row, set by insertTasks): derived from the row exactly
 * as they used to be stored, both at attempt 0 at the task's creation time (the
 * insert's transaction time, which the stored events also had), the first with
 * who created it. They precede every other event of the task (task-timeline.ts).
 */
import type { TaskEventRow, TaskRow } from "../schema/index.ts";

/** The task's derived submit events: none when its row does not hold them. */
export function submitEvents(task: TaskRow): TaskEventRow[] {
  if (!task.submitEventsInRow) return [];
  const at = task.createdAt;
  const created: TaskEventRow = { id: 0, taskId: task.id, attempt: 0, status: "created", at, worker: null, message: task.createdBy === null ? null : `created by ${task.createdBy}` };
  return [created, { ...created, status: "scheduled", message: null }];
}
