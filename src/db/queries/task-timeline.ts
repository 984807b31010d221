/**
 * A task's timeline: its events in order, whether stored in task_events or read from
 * its row (submit-events.ts) and its attempt rows (run-events.ts). Every reader of a
 * task's events goes through here, so both storages show the same.
 */
import type { TaskAttemptRow, TaskEventRow, TaskRow } from "../schema/index.ts";
import { withRunEvents } from "./run-events.ts";
import { submitEvents } from "./submit-events.ts";

/** The task's events: derived submit events, then the stored ones (id order) with the attempts' derived events among them. */
export function taskTimeline(task: TaskRow, attempts: TaskAttemptRow[], stored: TaskEventRow[]): TaskEventRow[] {
  return [...submitEvents(task), ...withRunEvents(stored, attempts)];
}
