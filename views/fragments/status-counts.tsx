/**
 * Overview panel: how many tasks are in each status, each a link to the task list
 * filtered by it. Finished statuses are counted up to `cap` (counting a long
 * history exactly would scan it): a count that reached it reads "100,000+", and
 * so does the total it makes a lower bound of.
 */
import { isTerminal, TASK_STATUSES, type TaskStatus } from "../../src/core/task-status.ts";
import { StatusBadge } from "../components/status-badge.tsx";
import { formatCount } from "../format.ts";

export function StatusCounts({ counts, cap }: { counts: Record<TaskStatus, number>; cap: number }) {
  const atCap = (s: TaskStatus) => isTerminal(s) && counts[s] >= cap;
  const total = TASK_STATUSES.reduce((a, s) => a + counts[s], 0);
  const capNote = `counted up to ${formatCount(cap)}`;
  return (
    <div class="counts">
      <a class="count" href="/tasks" title={TASK_STATUSES.some(atCap) ? `at least; finished tasks are ${capNote} per status` : undefined}>
        <span class="count-n" safe>
          {TASK_STATUSES.some(atCap) ? `${formatCount(total)}+` : formatCount(total)}
        </span>
        <span class="badge badge-other">all</span>
      </a>
      {TASK_STATUSES.map((s) => (
        <a class={`count count-${s}`} href={`/tasks?status=${s}`} title={atCap(s) ? capNote : undefined}>
          <span class="count-n" safe>
            {atCap(s) ? `${formatCount(cap)}+` : formatCount(counts[s])}
          </span>
          <StatusBadge status={s} />
        </a>
      ))}
    </div>
  );
}
