/** Overview panel: how long finished tasks and dead workers are kept, the oldest kept, rows pruned, database size. */
import { formatRetention } from "../../src/core/duration.ts";
import type { FinishedStatus } from "../../src/core/retention.ts";
import type { RetentionFacts } from "../../src/scheduler/metrics/retention-reader.ts";
import { StatusBadge } from "../components/status-badge.tsx";
import { formatBytes, formatCount, formatDuration } from "../format.ts";

const STATUSES: FinishedStatus[] = ["completed", "failed", "cancelled"];

export function RetentionSummary({ retention }: { retention: RetentionFacts | null }) {
  if (!retention) return <p class="empty">Retention facts are not available.</p>;
  const { policy, stats } = retention;
  return (
    <div class="table-wrap">
      <table class="compact">
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col" class="num">Kept for</th>
            <th scope="col" class="num">Oldest kept</th>
          </tr>
        </thead>
        <tbody>
          {STATUSES.map((s) => {
            const age = stats?.oldestFinishedAgeSeconds[s];
            return (
              <tr>
                <td>
                  <StatusBadge status={s} />
                </td>
                <td class="num" safe>
                  {formatRetention(policy[s])}
                </td>
                <td class="num" safe>
                  {age === null || age === undefined ? "—" : formatDuration(age * 1000)}
                </td>
              </tr>
            );
          })}
          <tr>
            <td>dead workers</td>
            <td class="num" safe>
              {formatRetention(policy.workers)}
            </td>
            <td class="num">—</td>
          </tr>
        </tbody>
      </table>
      {stats !== null && (
        <p class="muted retention-facts" safe>
          {`Database ${formatBytes(stats.databaseSizeBytes)} · pruned so far: ${formatCount(stats.prunedTotal.tasks)} tasks, ${formatCount(stats.prunedTotal.task_events)} events, ${formatCount(stats.prunedTotal.workers)} worker sessions`}
        </p>
      )}
    </div>
  );
}
