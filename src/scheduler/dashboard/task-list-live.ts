/**
 * What one open task list needs from each feed batch, as out-of-band fragments:
 * rows it shows are replaced in place; on the first page, tasks created since
 * that match its filters are inserted at the top (newest first); tasks that
 * start matching a status filter without being shown raise a notice offering a
 * reload, rather than reshuffling the rows under the user's cursor. Other pages
 * and non-matching tasks are left alone, so the user keeps their place.
 */
import type { TaskListFilter } from "../../db/queries/list-tasks.ts";
import type { TaskRow as Task } from "../../db/schema/index.ts";
import type { ListQueryOptions } from "../tasks/list-query.ts";
import type { FeedBatch } from "../live/change-feed.ts";
import { TASK_ROWS_ID, TaskRows } from "../../../views/fragments/task-row.tsx";
import { listUrl, filterParams, TasksNotice } from "../../../views/pages/tasks.tsx";

/** The task list's filters as the page shows them and its stream applies them. */
export interface TaskListFilterView {
  statuses: string[];
  queue: string | null;
  q: string | null;
  /** Only the tasks of this schedule (its id). */
  schedule: string | null;
}

/** The dashboard's task list reads the API's parameters, and still `schedule=` of links made before the two had one name. */
export const DASHBOARD_LIST_OPTIONS: ListQueryOptions = { legacyScheduleName: true };

/** The filters of a checked list query, as the page shows them. */
export function filterView(f: TaskListFilter): TaskListFilterView {
  return { statuses: f.statuses, queue: f.queue, q: f.nameContains, schedule: f.scheduleId };
}

export interface TaskListRenderers {
  /** A task's row, out-of-band (`oob`) or plain for insertion. */
  row(batch: FeedBatch, task: Task, oob: boolean): string;
}

export class TaskListFollower {
  private readonly shown: Set<string>;
  private noticeSent = false;

  constructor(
    private readonly filter: TaskListFilterView,
    private readonly firstPage: boolean,
    shownIds: Iterable<string>,
    private readonly render: TaskListRenderers,
  ) {
    this.shown = new Set(shownIds);
  }

  /** Whether `t` belongs in this list by its filters. */
  matches(t: Task): boolean {
    const f = this.filter;
    if (f.statuses.length > 0 && !f.statuses.includes(t.status)) return false;
    if (f.queue !== null && t.queue !== f.queue) return false;
    if (f.schedule !== null && t.scheduleId !== f.schedule) return false;
    return f.q === null || t.name.toLowerCase().includes(f.q.toLowerCase());
  }

  /** The fragments this batch means for the list ("" when none). */
  onBatch(batch: FeedBatch): string {
    const created = new Set(batch.taskChanges.filter((c) => c.status === "created").map((c) => c.id));
    const updates: string[] = [];
    const fresh: Task[] = [];
    let notice = false;
    for (const [id, task] of batch.tasks) {
      if (this.shown.has(id)) updates.push(this.render.row(batch, task, true));
      else if (this.firstPage && created.has(id) && this.matches(task)) fresh.push(task);
      else if (this.firstPage && this.filter.statuses.length > 0 && this.matches(task)) notice = true;
    }
    fresh.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (b.id < a.id ? -1 : 1));
    for (const t of fresh) this.shown.add(t.id);
    const parts = updates;
    if (fresh.length > 0) parts.unshift(`<tbody hx-swap-oob="afterbegin:#${TASK_ROWS_ID}">${fresh.map((t) => this.render.row(batch, t, false)).join("")}</tbody>`);
    if (notice && !this.noticeSent) {
      this.noticeSent = true;
      parts.push(TasksNotice({ href: listUrl(filterParams(this.filter)) }) as string);
    }
    return parts.join("\n");
  }

  /** Replaces every row with `tasks` (after a gap in the feed); later batches follow these rows. */
  resync(tasks: Task[], now: Date): string {
    this.shown.clear();
    for (const t of tasks) this.shown.add(t.id);
    return `<tbody hx-swap-oob="innerHTML:#${TASK_ROWS_ID}">${TaskRows({ tasks, now }) as string}</tbody>`;
  }
}
