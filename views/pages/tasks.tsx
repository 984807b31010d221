/**
 * The task list: filters (status, queue, name search, the schedule that made
 * them, tasks made by schedules hidden), newest first, keyset pagination. Live: rows update in place and, on the first page, new tasks that
 * match the filters appear at the top; elsewhere a notice offers a refresh.
 */
import { TASK_STATUSES } from "../../src/core/task-status.ts";
import type { FieldProblem } from "../../src/core/errors.ts";
import type { TaskRow } from "../../src/db/schema/index.ts";
import { scheduleRowId } from "../fragments/schedule-rows.tsx";
import { TaskRows, TASK_ROWS_ID } from "../fragments/task-row.tsx";
import { attributeText } from "../attribute-text.ts";
import { Layout, type PageChrome } from "../layout.tsx";
import { BulkDoneNotice, type BulkVerb } from "./bulk-confirm.tsx";
import { TASK_LIST_EVENT } from "../live-events.ts";
import { ActionPanel, BULK_PANEL_ID, intoPanel } from "../fragments/action-panel.tsx";
import type { FailureFacts } from "../../src/db/queries/load-failure-facts.ts";
import type { TaskListFilterView } from "../../src/scheduler/dashboard/task-list-live.ts";

export interface TasksPageProps extends PageChrome {
  tasks: TaskRow[];
  /** Why each scheduled task waits, by id. */
  reasons?: Map<string, string | null>;
  /** What each failed (or retrying) task's last attempt says, by id: its failure reason's facts. */
  failures?: Map<string, FailureFacts>;
  filter: TaskListFilterView;
  /** Cursor of the next (older) page, or null on the last page. */
  nextCursor: string | null;
  /** True when showing the newest tasks (no cursor). */
  firstPage: boolean;
  /** Rows per page when the user chose it (kept across pages), else null. */
  limit?: number | null;
  /** The live stream for exactly these rows, or null (bad filters: nothing to follow). */
  streamUrl: string | null;
  problems?: FieldProblem[];
  /** The name of the schedule filtered by, when it still exists. */
  scheduleName?: string | null;
  /** A bulk action just done from this list (`bulk=cancel&changed=N`). */
  bulkDone?: { action: BulkVerb; changed: number } | null;
  now: Date;
}

export const TASKS_NOTICE_ID = "tasks-notice";

export function TasksPage({ tasks, reasons, failures, filter, nextCursor, firstPage, limit = null, streamUrl, problems = [], scheduleName = null, bulkDone = null, now, actions }: TasksPageProps) {
  const statusValue = filter.statuses.join(",");
  const query = (extra: Record<string, string>) => listUrl({ ...filterParams(filter), ...(limit === null ? {} : { limit: String(limit) }), ...extra });
  return (
    <Layout title="Tasks" nav="tasks" now={now} actions={actions}>
      <div class="live" hx-ext={streamUrl ? "sse" : undefined} sse-connect={streamUrl ?? undefined}>
        <div class="page-head">
          <h1>Tasks</h1>
          <a class="button primary" href="/tasks/new">
            New task
          </a>
        </div>
        <form class="filters" method="get" action="/tasks" role="search">
          <label>
            <span>Status</span>
            <select name="status">
              <option value="" selected={statusValue === ""}>
                any
              </option>
              {TASK_STATUSES.map((s) => (
                <option value={s} selected={statusValue === s}>
                  {s}
                </option>
              ))}
              {filter.statuses.length > 1 && (
                <option value={attributeText(statusValue)} selected safe>
                  {filter.statuses.join(" or ")}
                </option>
              )}
            </select>
          </label>
          <label>
            <span>Queue</span>
            <input name="queue" value={attributeText(filter.queue ?? "")} placeholder="any" maxlength="64" autocomplete="off" />
          </label>
          <label class="grow">
            <span>Name contains</span>
            <input type="search" name="q" value={attributeText(filter.q ?? "")} placeholder="search by name" maxlength="200" />
          </label>
          {filter.schedule !== null && (
            <span class="filter-chip">
              <input type="hidden" name="schedule_id" value={filter.schedule} />
              <span class="muted">Schedule</span>
              <a href={`/schedules#${scheduleRowId(filter.schedule)}`} class="chip-name" title={filter.schedule} safe>
                {scheduleName ?? `${filter.schedule.slice(0, 8)} (deleted)`}
              </a>
              <a href={listUrl(filterParams({ ...filter, schedule: null }))} class="chip-clear" title="Show the tasks of every schedule" aria-label="Remove the schedule filter">
                ×
              </a>
            </span>
          )}
          {filter.fromSchedule === true ? (
            <input type="hidden" name="from_schedule" value="true" />
          ) : (
            // Checked, the form sends from_schedule=false; unchecked, nothing: a plain GET field, no script needed.
            <label class="check">
              <input type="checkbox" name="from_schedule" value="false" checked={filter.fromSchedule === false} />
              <span>Hide tasks made by schedules</span>
            </label>
          )}
          <button type="submit" class="button">
            Filter
          </button>
          {(statusValue !== "" || filter.queue !== null || filter.q !== null || filter.schedule !== null || filter.fromSchedule !== null) && (
            <a href="/tasks" class="button subtle">
              Clear
            </a>
          )}
        </form>
        {problems.length === 0 && <BulkActions filter={filter} />}
        <ActionPanel id={BULK_PANEL_ID} />
        {bulkDone !== null && <BulkDoneNotice action={bulkDone.action} changed={bulkDone.changed} />}
        {problems.length > 0 && (
          <ul class="error-box" role="alert">
            {problems.map((p) => (
              <li safe>{`${p.path.slice(1)}: ${p.message}`}</li>
            ))}
          </ul>
        )}
        <div id={TASKS_NOTICE_ID}></div>
        <div hidden sse-swap={TASK_LIST_EVENT} hx-swap="none"></div>
        <div class="table-wrap">
          <table class="tasks stack-on-phone">
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Name</th>
                <th scope="col">Queue</th>
                <th scope="col" class="num">Attempt</th>
                <th scope="col">Worker</th>
                <th scope="col">When</th>
                <th scope="col" title="When it is due (its run_at)">
                  Run at
                </th>
                <th scope="col" class="num">Ran</th>
              </tr>
            </thead>
            <tbody id={TASK_ROWS_ID}>
              <TaskRows tasks={tasks} now={now} reasons={reasons} failures={failures} />
            </tbody>
          </table>
        </div>
        <TasksPager firstPage={firstPage} newestHref={query({})} olderHref={nextCursor === null ? null : query({ cursor: nextCursor })} />
      </div>
    </Layout>
  );
}

/**
 * Cancel or retry every task the list's filters select (not only this page): a
 * GET form to the confirmation, which says how many tasks it touches: a page of
 * its own without JavaScript, swapped into the bulk panel below with htmx.
 */
export function BulkActions({ filter }: { filter: TaskListFilterView }) {
  return (
    <form class="bulk-actions" method="get" action="/tasks/bulk" hx-get="/tasks/bulk" {...intoPanel(BULK_PANEL_ID)}>
      {Object.entries(filterParams(filter)).map(([name, value]) => (
        <input type="hidden" name={name} value={attributeText(value)} />
      ))}
      <span class="muted">Every task these filters select:</span>
      <button type="submit" name="action" value="cancel" class="button subtle" title="Counts them and asks to confirm">
        Cancel…
      </button>
      <button type="submit" name="action" value="retry" class="button subtle" title="Counts them and asks to confirm">
        Retry…
      </button>
    </form>
  );
}

/** The query parameters that describe a filter (empty ones left out). */
export function filterParams(f: TaskListFilterView): Record<string, string> {
  const out: Record<string, string> = {};
  if (f.statuses.length > 0) out.status = f.statuses.join(",");
  if (f.queue !== null) out.queue = f.queue;
  if (f.q !== null) out.q = f.q;
  if (f.schedule !== null) out.schedule_id = f.schedule;
  if (f.fromSchedule !== null) out.from_schedule = String(f.fromSchedule);
  return out;
}

/** /tasks with these query parameters. */
export function listUrl(params: Record<string, string>): string {
  const qs = new URLSearchParams(params).toString();
  return qs ? `/tasks?${qs}` : "/tasks";
}

/**
 * The bar above a full first page counting the tasks that match its filters and
 * would sort into it, not inserted so the page keeps its size; empty at 0.
 */
export function NewerTasksBar({ count, href }: { count: number; href: string }) {
  return (
    <div id={TASKS_NOTICE_ID} hx-swap-oob="true">
      {count > 0 && (
        <p class="notice newer-bar" role="status">
          <span safe>{`${count} newer ${count === 1 ? "task" : "tasks"}`}</span> — <a href={href}>show</a>
        </p>
      )}
    </div>
  );
}

export const TASKS_PAGER_ID = "tasks-pager";

export interface TasksPagerProps {
  firstPage: boolean;
  newestHref: string;
  /** The next (older) page, or null on the last page. */
  olderHref: string | null;
  /** Sent over the stream after a resync: replaces the pager. */
  oob?: boolean;
}

/** "← Newest" and "Older →": the older page starts after the last row rendered (the live list never pushes rows past it). */
export function TasksPager({ firstPage, newestHref, olderHref, oob = false }: TasksPagerProps) {
  return (
    <nav class="pager" id={TASKS_PAGER_ID} aria-label="Pages" hx-swap-oob={oob ? "true" : undefined}>
      {firstPage ? <span class="muted">Newest tasks</span> : <a href={newestHref}>← Newest</a>}
      {olderHref !== null && <a href={olderHref}>Older →</a>}
    </nav>
  );
}
