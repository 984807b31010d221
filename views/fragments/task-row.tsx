/**
 * One row of the task list. The page renders it, and the live stream sends the
 * very same row to replace it in place (`hx-swap-oob`) or, for a new task, to
 * insert it at the top of the list.
 */
import { attributeText } from "../attribute-text.ts";
import type { TaskRow as Task } from "../../src/db/schema/index.ts";
import { attemptInBudget } from "../../src/core/attempt.ts";
import { StatusBadge } from "../components/status-badge.tsx";
import { Age, RelativeTime } from "../components/time.tsx";
import { formatDuration } from "../format.ts";
import { failureReason } from "../../src/core/failure-reason.ts";
import type { FailureFacts } from "../../src/db/queries/load-failure-facts.ts";

/** The element id of a task's row: stream updates find the row by it. */
export const taskRowId = (id: string) => `task-${id}`;
/** The id of the list body new rows are inserted into. */
export const TASK_ROWS_ID = "task-rows";

export interface TaskRowProps {
  task: Task;
  now: Date;
  /** Sent over the stream: replaces the row with the same id. */
  oob?: boolean;
  /** Why a scheduled task waits (the list page works it out; stream updates leave it out). */
  waiting?: string | null;
  /** Shown on a live list whose filters it no longer matches: kept in place, marked. */
  left?: boolean;
  /**
   * What its last attempt's end says (the page loads it, the change feed loads it
   * for live rows): the failure reason is the error, or stderr's last line.
   */
  failure?: FailureFacts | null;
}

/**
 * The list's order as one string that sorts like it (newest first when sorted
 * descending): creation time, then seq (zero-padded, so text order is number order).
 * live-list.js places inserted rows by it.
 */
export function rowOrder(t: Task): string {
  return `${t.createdAt.toISOString()} ${String(t.seq).padStart(16, "0")}`;
}

export function TaskRow({ task: t, now, oob = false, waiting = null, left = false, failure: facts = null }: TaskRowProps) {
  const failure = t.error === null || t.status === "completed" ? null : failureReason(facts?.error ?? t.error, facts?.stderrLastLine ?? null);
  return (
    <tr id={taskRowId(t.id)} class={left ? "task-row row-left" : "task-row"} hx-swap-oob={oob ? "true" : undefined} data-status={t.status} data-order={rowOrder(t)}>
      <td data-label="Status">
        <StatusBadge status={t.status} />
        {left && <small class="muted left-note">no longer matches the filters</small>}
        {failure !== null && (
          <small class="failure-reason mono" title={attributeText(failure)} safe>
            {failure}
          </small>
        )}
        {waiting !== null && (
          <small class="muted waiting-reason" safe>
            {waiting}
          </small>
        )}
      </td>
      <td data-label="Name" class="cell-name">
        <a href={`/tasks/${t.id}`} class="task-name" title={attributeText(t.name)} safe>
          {t.name}
        </a>
        <small class="mono muted" safe>
          {t.id.slice(0, 8)}
        </small>
      </td>
      <td data-label="Queue">
        <span class="queue" safe>
          {t.queue}
        </span>
      </td>
      <td data-label="Attempt" class="num" safe>
        {t.attempt === 0 ? "—" : `${attemptInBudget(t)} / ${t.maxRetries + 1}${t.manualRetries > 0 ? " ↻" : ""}`}
      </td>
      <td data-label="Worker">
        {t.worker === null ? <span class="muted">—</span> : <span class="token" title={attributeText(t.worker)} safe>{t.worker}</span>}
      </td>
      <td data-label="When">
        <WhenCell task={t} now={now} />
      </td>
      <td data-label="Run at">
        <RelativeTime at={t.runAt} now={now} />
      </td>
      <td data-label="Ran" class="num">
        <RunTime task={t} now={now} />
      </td>
    </tr>
  );
}

/** When it finished (failed, completed, cancelled), else when it was created. */
function WhenCell({ task: t, now }: { task: Task; now: Date }) {
  const finished = t.finishedAt !== null && (t.status === "failed" || t.status === "completed" || t.status === "cancelled");
  return (
    <span class="when-cell">
      <small class="muted when-label">{finished ? <span safe>{t.status}</span> : "created"}</small>
      <RelativeTime at={finished ? t.finishedAt : t.createdAt} now={now} absolute />
    </span>
  );
}

/** How long the running attempt has run (ticking), or how long the finished task ran; else a dash. */
function RunTime({ task: t, now }: { task: Task; now: Date }) {
  if (t.status === "running" && t.startedAt !== null) return <Age since={t.startedAt} now={now} />;
  if (t.startedAt !== null && t.finishedAt !== null) return <span safe>{formatDuration(t.finishedAt.getTime() - t.startedAt.getTime())}</span>;
  return <span class="muted">—</span>;
}

/** New rows for the top of the list, as one out-of-band insertion. */
export function NewTaskRows({ tasks, now }: { tasks: Task[]; now: Date }) {
  return (
    <tbody hx-swap-oob={`afterbegin:#${TASK_ROWS_ID}`}>
      {tasks.map((t) => (
        <TaskRow task={t} now={now} />
      ))}
    </tbody>
  );
}

/** The rows of a list page, or a line saying none match. */
export interface TaskRowsProps {
  tasks: Task[];
  now: Date;
  /** Why each scheduled task waits, by id. */
  reasons?: Map<string, string | null>;
  /** What each failed task's last attempt says, by id. */
  failures?: Map<string, FailureFacts>;
}

export function TaskRows({ tasks, now, reasons, failures }: TaskRowsProps) {
  return (
    <>
      {tasks.map((t) => (
        <TaskRow task={t} now={now} waiting={reasons?.get(t.id) ?? null} failure={failures?.get(t.id) ?? null} />
      ))}
      <tr class="empty-row">
        <td colspan="8" class="empty">
          No tasks match.
        </td>
      </tr>
    </>
  );
}
