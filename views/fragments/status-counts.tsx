/** Overview panel: how many tasks are in each status, each a link to the task list filtered by it. */
import { TASK_STATUSES, type TaskStatus } from "../../src/core/task-status.ts";
import { StatusBadge } from "../components/status-badge.tsx";
import { formatCount } from "../format.ts";

export function StatusCounts({ counts }: { counts: Record<TaskStatus, number> }) {
  const total = TASK_STATUSES.reduce((a, s) => a + counts[s], 0);
  return (
    <div class="counts">
      <a class="count" href="/tasks">
        <span class="count-n" safe>
          {formatCount(total)}
        </span>
        <span class="badge badge-other">all</span>
      </a>
      {TASK_STATUSES.map((s) => (
        <a class={`count count-${s}`} href={`/tasks?status=${s}`}>
          <span class="count-n" safe>
            {formatCount(counts[s])}
          </span>
          <StatusBadge status={s} />
        </a>
      ))}
    </div>
  );
}
