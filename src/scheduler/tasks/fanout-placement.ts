/**
 * Submit-time fanout (docs/placement.md): a task with `fanout` gets the workers its
 * children are pinned to, chosen now among the live workers its selector matches
 * (core/fanout.ts). No (or too few) such workers is a 422 naming `fanout`: a fanout
 * that made no children would never run anything.
 */
import { ValidationError, type FieldProblem } from "../../core/errors.ts";
import { chooseFanoutWorkers, type FanoutCandidate } from "../../core/fanout.ts";
import type { Executor } from "../../db/sql.ts";
import type { NewTask } from "../../db/queries/insert-tasks.ts";
import { listFanoutCandidates } from "../../db/queries/list-fanout-candidates.ts";

/** The tasks with fanoutWorkers filled in; `batch`: paths name `/tasks/N/fanout`. */
export async function placeFanouts(db: Executor, input: NewTask[], batch = false): Promise<NewTask[]> {
  if (!input.some((t) => t.fanout)) return input;
  const byQueue = new Map<string, FanoutCandidate[]>();
  const problems: FieldProblem[] = [];
  const placed: NewTask[] = [];
  for (const [i, t] of input.entries()) {
    if (!t.fanout) {
      placed.push(t);
      continue;
    }
    if (!byQueue.has(t.queue)) byQueue.set(t.queue, await listFanoutCandidates(db, t.queue));
    const choice = chooseFanoutWorkers(t.fanout, t.selector ?? null, byQueue.get(t.queue)!);
    if (choice.ok) placed.push({ ...t, fanoutWorkers: choice.workers });
    else problems.push({ path: `${batch ? `/tasks/${i}` : ""}/fanout`, message: `${choice.reason} (queue ${t.queue})` });
  }
  if (problems.length > 0) throw new ValidationError("the request has invalid fields", problems);
  return placed;
}
