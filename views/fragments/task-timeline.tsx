/**
 * A task's timeline: every recorded transition (created → … → completed, retries,
 * lost workers, cancels) with its time and the time since the previous one.
 */
import type { TaskEventRow } from "../../src/db/schema/index.ts";
import { StatusBadge } from "../components/status-badge.tsx";
import { RelativeTime } from "../components/time.tsx";
import { formatDuration } from "../format.ts";

export function TaskTimeline({ events, now }: { events: TaskEventRow[]; now: Date }) {
  if (events.length === 0) return <p class="muted">No events recorded.</p>;
  return (
    <ol class="timeline">
      {events.map((e, i) => {
        const prev = events[i - 1];
        return (
          <li class={`timeline-item timeline-${e.status}`}>
            <div class="timeline-head">
              <div class="timeline-what">
                <StatusBadge status={e.status} />
                {e.attempt > 0 && <span class="muted">attempt {e.attempt}</span>}
                {e.worker !== null && (
                  <span class="muted">
                    on <span safe>{e.worker}</span>
                  </span>
                )}
              </div>
              <div class="timeline-time">
                {prev !== undefined && (
                  <span class="delta" title="since the previous event" safe>
                    {`+${formatDuration(e.at.getTime() - prev.at.getTime())}`}
                  </span>
                )}
                <RelativeTime at={e.at} now={now} absolute />
              </div>
            </div>
            {e.message !== null && (
              <div class="timeline-message" safe>
                {e.message}
              </div>
            )}
          </li>
        );
      })}
    </ol>
  );
}
