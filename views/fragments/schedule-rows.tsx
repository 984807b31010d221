/**
 * The rows of the schedules table. The page renders them and the live stream
 * sends the whole body again whenever a schedule changes or ticks, or a task a
 * schedule made moves on (so "last run" shows that task's status as it runs).
 * Pause and resume are plain form posts: they work without JavaScript.
 */
import type { ScheduleView } from "../../src/db/queries/list-schedules.ts";
import { StatusBadge } from "../components/status-badge.tsx";
import { RelativeTime } from "../components/time.tsx";

export const SCHEDULE_ROWS_ID = "schedule-rows";
/** The element id of a schedule's row (the create form redirects to it as a #fragment). */
export const scheduleRowId = (id: string) => `schedule-${id}`;
/** The task list filtered to the tasks one schedule made. */
export const scheduleTasksUrl = (id: string) => `/tasks?schedule_id=${id}`;

/** Long commands are cut in the list; the task page shows them whole. */
const COMMAND_PREVIEW_CHARS = 80;

export function ScheduleRows({ schedules, now }: { schedules: ScheduleView[]; now: Date }) {
  if (schedules.length === 0) {
    return (
      <tr>
        <td colspan="7" class="empty">
          No schedules yet. <a href="/schedules/new">Create one</a> to run a task on a cron expression.
        </td>
      </tr>
    );
  }
  return (
    <>
      {schedules.map((s) => (
        <ScheduleRowView schedule={s} now={now} />
      ))}
    </>
  );
}

function ScheduleRowView({ schedule: s, now }: { schedule: ScheduleView; now: Date }) {
  const command = String(s.template.command ?? "");
  return (
    <tr id={scheduleRowId(s.id)} class={s.paused ? "schedule-row is-paused" : "schedule-row"} data-paused={String(s.paused)}>
      <td data-label="Name" class="cell-name">
        <a href={scheduleTasksUrl(s.id)} class="task-name" title="Tasks this schedule made" safe>
          {s.name}
        </a>
        <small class="mono muted command-preview" safe>
          {command.length > COMMAND_PREVIEW_CHARS ? `${command.slice(0, COMMAND_PREVIEW_CHARS)}…` : command}
        </small>
      </td>
      <td data-label="Schedule">
        <code class="cron" safe>
          {s.cron}
        </code>
        <small class="muted tz" safe>
          {s.timezone}
        </small>
      </td>
      <td data-label="Next run">
        <NextRun schedule={s} now={now} />
      </td>
      <td data-label="Last run">{s.lastRunAt === null ? <span class="muted">not yet</span> : <RelativeTime at={s.lastRunAt} now={now} absolute />}</td>
      <td data-label="Last result">
        <LastResult schedule={s} />
      </td>
      <td data-label="State">
        <StatusBadge status={s.paused ? "paused" : "active"} />
      </td>
      <td data-label="Actions" class="row-actions">
        <form method="post" action={`/schedules/${s.id}/${s.paused ? "resume" : "pause"}`}>
          {s.paused ? (
            <button type="submit" class="button" title="Run again from the next due time; paused times are not replayed">
              Resume
            </button>
          ) : (
            <button type="submit" class="button" title="Make no tasks until resumed">
              Pause
            </button>
          )}
        </form>
        <form method="post" action={`/schedules/${s.id}/run`}>
          <button type="submit" class="button" title="Make a task now, outside the cron">
            Run now
          </button>
        </form>
        <a href={`/schedules/${s.id}`} class="button subtle" title="Edit, delete, and see what each due time did">
          Edit
        </a>
        <a href={scheduleTasksUrl(s.id)} class="button subtle">
          Tasks
        </a>
      </td>
    </tr>
  );
}

function NextRun({ schedule: s, now }: { schedule: ScheduleView; now: Date }) {
  if (s.paused) return <span class="muted">paused</span>;
  // Active without a next run: the expression matches no later time (the ticker stopped it).
  if (s.nextRunAt === null) return <span class="muted">never</span>;
  return <RelativeTime at={s.nextRunAt} now={now} absolute until />;
}

/** The status of the task the last run made, as a badge linking to the task. */
function LastResult({ schedule: s }: { schedule: ScheduleView }) {
  if (s.lastTaskId === null) return <span class="muted">—</span>;
  if (s.lastTaskPruned) {
    return (
      <span title="The task of the last run was pruned (retention); its status is kept">
        {s.lastTaskStatus === null ? <span class="muted">task deleted</span> : <StatusBadge status={s.lastTaskStatus} />} <span class="muted">pruned</span>
      </span>
    );
  }
  return (
    <a href={`/tasks/${s.lastTaskId}`} class="badge-link" title="Open the task of the last run">
      {s.lastTaskStatus === null ? <span class="muted">task deleted</span> : <StatusBadge status={s.lastTaskStatus} />}
    </a>
  );
}
