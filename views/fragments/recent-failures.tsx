/** Overview panel: the tasks that failed for good most recently, with their failure reason (the error, or the last line of stderr). */
import type { TaskRow } from "../../src/db/schema/index.ts";
import { RelativeTime } from "../components/time.tsx";

/** Errors can be long (a whole stderr line); the list shows the start, the task page the rest. */
const ERROR_PREVIEW_CHARS = 160;

export function RecentFailures({ tasks, now, reasons = new Map() }: { tasks: TaskRow[]; now: Date; reasons?: Map<string, string | null> }) {
  if (tasks.length === 0) return <p class="empty">No failed tasks.</p>;
  return (
    <ul class="failures">
      {tasks.map((t) => (
        <li>
          <div class="failure-head">
            <a href={`/tasks/${t.id}`} class="task-name" safe>
              {t.name}
            </a>
            <RelativeTime at={t.finishedAt} now={now} />
          </div>
          <div class="failure-error mono" safe>
            {preview(reasons.get(t.id) ?? t.error ?? (t.exitCode === null ? "failed" : `exit code ${t.exitCode}`))}
          </div>
        </li>
      ))}
    </ul>
  );
}

function preview(s: string): string {
  return s.length > ERROR_PREVIEW_CHARS ? `${s.slice(0, ERROR_PREVIEW_CHARS)}…` : s;
}
