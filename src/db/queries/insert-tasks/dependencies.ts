/**
 * Run-after dependencies of new tasks (docs/flow-control.md): lock the existing
 * tasks they name, count the unfinished ones, and record the edges; one statement
 * each for the whole call.
 */
import { sql } from "drizzle-orm";
import { ValidationError, type FieldProblem } from "../../../core/errors.ts";
import { isTerminal, type TaskStatus } from "../../../core/task-status.ts";
import type { TaskRow } from "../../schema/index.ts";
import { jsonParam, rows as resultRows, uuidArray, type Executor } from "../../sql.ts";
import type { NewTask } from "./new-task.ts";
import type { RowJson, RowPlan } from "./row-plan.ts";

/**
 * Marks the existing tasks the rows depend on `has_dependents`, which locks them (a
 * dependency cannot finish until this transaction commits, and one that finished is
 * read as it now is; locked in id order, so concurrent submissions cannot deadlock),
 * refuses ids that name no task, and sets each row's blocked_by: its dependencies not
 * yet finished, counting those of the same call. Returns the dependencies already finished.
 */
export async function lockDependencies(tx: Executor, input: NewTask[], plan: RowPlan): Promise<Set<string>> {
  const own = new Set(plan.rows.map((r) => r.id));
  const external = [...new Set(plan.rows.flatMap((r) => r.depends_on).filter((id) => !own.has(id)))];
  const found = resultRows<{ id: string; status: string }>(
    await tx.execute(sql`
      update tasks set has_dependents = true
      where id in (select id from tasks where id = any(${uuidArray(external)}::uuid[]) order by id for no key update)
      returning id, status`),
  );
  const statusOf = new Map(found.map((r) => [r.id, r.status as TaskStatus]));
  const missing = missingDependencies(input, statusOf, own);
  if (missing.length > 0) throw new ValidationError("depends_on names tasks that do not exist", missing);
  const finished = new Set(found.filter((r) => isTerminal(r.status as TaskStatus)).map((r) => r.id));
  for (const r of plan.rows) r.blocked_by = r.depends_on.filter((id) => !finished.has(id)).length;
  const parents = new Set(plan.rows.flatMap((r) => r.depends_on));
  for (const r of plan.rows) r.has_dependents = parents.has(r.id);
  return finished;
}

function missingDependencies(input: NewTask[], statusOf: Map<string, TaskStatus>, own: Set<string>): FieldProblem[] {
  const problems: FieldProblem[] = [];
  input.forEach((t, i) =>
    (t.dependsOn ?? []).forEach((d, j) => {
      if (typeof d === "string" && !statusOf.has(d.toLowerCase()) && !own.has(d)) {
        problems.push({ path: `${input.length > 1 ? `/tasks/${i}` : ""}/depends_on/${j}`, message: `no task with id ${d}` });
      }
    }),
  );
  return problems;
}

/** The run-after edges of the rows that were inserted; edges to finished tasks are recorded as done. */
export async function insertDependencies(tx: Executor, rows: RowJson[], created: TaskRow[], finished: Set<string>): Promise<void> {
  const ids = new Set(created.map((t) => t.id));
  const edges = rows
    .filter((r) => ids.has(r.id))
    .flatMap((r) => r.depends_on.map((d) => ({ task_id: r.id, depends_on: d, done: finished.has(d) })));
  if (edges.length === 0) return;
  await tx.execute(sql`
    insert into task_dependencies (task_id, depends_on, done)
    select task_id, depends_on, done from json_to_recordset(${jsonParam(edges)}) as e(task_id uuid, depends_on uuid, done boolean)`);
}
