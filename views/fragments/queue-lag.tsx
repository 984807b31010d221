/**
 * Overview panel: per queue, tasks due now and due later, the age of the oldest
 * due one, and a warning when no live worker serves a queue with waiting tasks.
 */
import type { QueueLag } from "../../src/scheduler/dashboard/overview-data.ts";
import { formatCount, formatDuration } from "../format.ts";

/** A due task older than this is shown as lagging. */
const LAGGING_MS = 30_000;

export function QueueLagTable({ queues }: { queues: QueueLag[] }) {
  if (queues.length === 0) return <p class="empty">No task is waiting in any queue.</p>;
  return (
    <div class="table-wrap">
      <table class="compact">
        <thead>
          <tr>
            <th scope="col">Queue</th>
            <th scope="col" class="num" title="Scheduled tasks whose run-at time has come">
              Due now
            </th>
            <th scope="col" class="num" title="Scheduled tasks to run later">
              Future
            </th>
            <th scope="col" class="num" title="How long the oldest due task has waited">
              Lag
            </th>
          </tr>
        </thead>
        <tbody>
          {queues.map((q) => (
            <tr>
              <td>
                <a href={`/tasks?status=scheduled&queue=${encodeURIComponent(q.queue)}`} class="queue" safe>
                  {q.queue}
                </a>
                {q.workers === 0 && (
                  <small class="no-worker" role="status">
                    no live worker serves queue <span safe>{q.queue}</span>
                  </small>
                )}
              </td>
              <td class="num" safe>
                {formatCount(q.due)}
              </td>
              <td class="num" safe>
                {formatCount(q.waiting - q.due)}
              </td>
              <td class={q.lagMs > LAGGING_MS ? "num lagging" : "num"} safe>
                {q.due === 0 ? "—" : formatDuration(q.lagMs)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
