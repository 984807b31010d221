/** Overview panel: worker sessions alive, draining and recently dead, linking to the workers page. */
import type { WorkerStatus } from "../../src/core/task-status.ts";
import { StatusBadge } from "../components/status-badge.tsx";
import { formatCount } from "../format.ts";

const ORDER: WorkerStatus[] = ["alive", "draining", "dead"];

export function WorkersSummary({ counts }: { counts: Record<WorkerStatus, number> }) {
  return (
    <div class="counts counts-small">
      {ORDER.map((s) => (
        <a class={`count count-${s}`} href="/workers" title={s === "dead" ? "stopped or lost in the last 24 hours" : undefined}>
          <span class="count-n" safe>
            {formatCount(counts[s])}
          </span>
          <StatusBadge status={s} />
        </a>
      ))}
    </div>
  );
}
