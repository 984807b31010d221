/** Overview panel: per queue, tasks waiting, tasks already due, and the age of the oldest due one. */
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
            <th scope="col" class="num">Waiting</th>
            <th scope="col" class="num">Due</th>
            <th scope="col" class="num">Lag</th>
          </tr>
        </thead>
        <tbody>
          {queues.map((q) => (
            <tr>
              <td>
                <a href={`/tasks?status=scheduled&queue=${encodeURIComponent(q.queue)}`} class="queue" safe>
                  {q.queue}
                </a>
              </td>
              <td class="num" safe>
                {formatCount(q.waiting)}
              </td>
              <td class="num" safe>
                {formatCount(q.due)}
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
