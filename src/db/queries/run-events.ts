/**
 * The `picked` and `running` events of an attempt whose claim and start stored none
 * (task_attempts.derived_events, written by claimDueTasks and markAttemptsStarted):
 * derived from the attempt row exactly as they used to be stored. `picked` at the
 * claim's time (picked_at) and `running` at the start's (started_at, the database's
 * time of the start report, which the stored event also had), both with the
 * attempt's worker and no message.
 *
 * Where they go among the stored events: an attempt begins with its claim, and every
 * stored event of attempt n comes after that claim (the task's attempt counter moves
 * to n in the claim; events before it carry n − 1). The running event exists only if
 * the start found the task still picked by this attempt, so nothing stored for the
 * attempt came between the two. Hence: an attempt's derived events go right before the
 * first stored event of the same or a later attempt.
 */
import type { TaskAttemptRow, TaskEventRow } from "../schema/index.ts";

/** The events attempt row `a` holds (none, picked, or picked and running). */
export function runEvents(a: TaskAttemptRow): TaskEventRow[] {
  if (a.derivedEvents === 0) return [];
  const picked: TaskEventRow = { id: 0, taskId: a.taskId, attempt: a.attempt, status: "picked", at: a.pickedAt, worker: a.worker, message: null };
  if (a.derivedEvents < 2 || a.startedAt === null) return [picked];
  return [picked, { ...picked, status: "running", at: a.startedAt }];
}

/** `stored` (in id order) with the derived events of `attempts` placed where they were stored before. */
export function withRunEvents(stored: TaskEventRow[], attempts: TaskAttemptRow[]): TaskEventRow[] {
  const derived = attempts.filter((a) => a.derivedEvents > 0).sort((x, y) => x.attempt - y.attempt);
  if (derived.length === 0) return stored;
  const out: TaskEventRow[] = [];
  let next = 0;
  for (const e of stored) {
    while (next < derived.length && derived[next]!.attempt <= e.attempt) out.push(...runEvents(derived[next++]!));
    out.push(e);
  }
  while (next < derived.length) out.push(...runEvents(derived[next++]!));
  return out;
}
