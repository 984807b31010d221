/** A fanout parent's children (docs/placement.md): one row per pinned worker, with its status and attempt. */
import type { TaskRow } from "../../src/db/schema/index.ts";
import { StatusBadge } from "../components/status-badge.tsx";
import { RelativeTime } from "../components/time.tsx";

export function FanoutChildren({ tasks, now }: { tasks: TaskRow[]; now: Date }) {
  if (tasks.length === 0) return <p class="muted">No children.</p>;
  return (
    <div class="table-wrap">
      <table class="compact children">
        <thead>
          <tr>
            <th scope="col">Worker</th>
            <th scope="col">Status</th>
            <th scope="col">Attempt</th>
            <th scope="col">Finished</th>
            <th scope="col">Task</th>
          </tr>
        </thead>
        <tbody>
          {tasks.map((c) => (
            <tr class="child-row" data-worker={c.pinnedWorker ?? c.worker ?? ""}>
              <td data-label="Worker" safe>
                {c.pinnedWorker ?? c.worker ?? "any matching worker"}
              </td>
              <td data-label="Status">
                <StatusBadge status={c.status} />
              </td>
              <td data-label="Attempt">{c.attempt}</td>
              <td data-label="Finished">
                <RelativeTime at={c.finishedAt} now={now} />
              </td>
              <td data-label="Task">
                <a href={`/tasks/${c.id}`} class="mono" safe>
                  {c.id.slice(0, 8)}
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
