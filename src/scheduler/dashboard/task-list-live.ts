/**
 * What one open task list needs from each feed batch, as out-of-band fragments:
 * - rows it shows are replaced in place; a shown task that stops matching the
 *   filters (it left `status=running`) stays, marked, so rows do not jump under
 *   the user's cursor, and is unmarked if it matches again;
 * - on the first page, tasks that start matching (created, or moved into a
 *   status filter) and sort within the page are inserted (views/client/live-list.js
 *   puts each at its place by `data-order`), until the page holds its size;
 * - past that size nothing is inserted: an "N newer tasks — show" bar counts
 *   them instead, so the page never grows past its limit and its "Older" cursor
 *   (the last row at render) stays right.
 * Other pages only update and mark their rows, so the user keeps their place.
 */
import type { TaskListFilter } from "../../db/queries/list-tasks.ts";
import type { TaskRow as Task } from "../../db/schema/index.ts";
import { LIST_LIMIT_DEFAULT, type ListQueryOptions } from "../tasks/list-query.ts";
import type { FeedBatch } from "../live/change-feed.ts";
import { TASK_ROWS_ID, TaskRows, type TaskRowsProps } from "../../../views/fragments/task-row.tsx";
import { listUrl, filterParams, NewerTasksBar, TasksPager, type TasksPagerProps } from "../../../views/pages/tasks.tsx";

/** The task list's filters as the page shows them and its stream applies them. */
export interface TaskListFilterView {
  statuses: string[];
  queue: string | null;
  q: string | null;
  /** Only the tasks of this schedule (its id). */
  schedule: string | null;
  /** false: tasks made by schedules hidden ("Hide tasks made by schedules"); true: only those; null: all. */
  fromSchedule: boolean | null;
}

/** The dashboard's task list reads the API's parameters, and still `schedule=` of links made before the two had one name. */
export const DASHBOARD_LIST_OPTIONS: ListQueryOptions = { legacyScheduleName: true };

/** The filters of a checked list query, as the page shows them. */
export function filterView(f: TaskListFilter): TaskListFilterView {
  return { statuses: f.statuses, queue: f.queue, q: f.nameContains, schedule: f.scheduleId, fromSchedule: f.fromSchedule ?? null };
}

/** Where a row sorts in the list: its creation time, then its seq. */
export type ListPosition = Pick<Task, "createdAt" | "seq">;

/** Positive when `a` sorts after `b` in time (newer), negative when before. */
export function comparePositions(a: ListPosition, b: ListPosition): number {
  return a.createdAt.getTime() - b.createdAt.getTime() || a.seq - b.seq;
}

export interface TaskListRenderers {
  /** A task's row, out-of-band (`oob`) or plain for insertion; `left`: marked as no longer matching. */
  row(batch: FeedBatch, task: Task, oob: boolean, left: boolean): string;
}

/** Where the list a stream follows stands: which rows, how many fit, where older pages start. */
export interface TaskListPage {
  firstPage: boolean;
  /** Rows per page: the first page never holds more. */
  limit: number;
  /** The rows shown, in any order. */
  shownIds: Iterable<string>;
  /** The position of the last row when older pages follow (tasks older than it belong there), else null. */
  oldest: ListPosition | null;
}

export class TaskListFollower {
  private readonly shown: Set<string>;
  /** Tasks that match and would sort into the first page, not shown because it is full. */
  private readonly waiting = new Set<string>();
  private barCount = 0;
  private oldest: ListPosition | null;

  constructor(
    private readonly filter: TaskListFilterView,
    private readonly page: Omit<TaskListPage, "shownIds" | "oldest">,
    start: Pick<TaskListPage, "shownIds" | "oldest">,
    private readonly render: TaskListRenderers,
  ) {
    this.shown = new Set(start.shownIds);
    this.oldest = start.oldest;
  }

  /** Whether `t` belongs in this list by its filters. */
  matches(t: Task): boolean {
    const f = this.filter;
    if (f.statuses.length > 0 && !f.statuses.includes(t.status)) return false;
    if (f.queue !== null && t.queue !== f.queue) return false;
    if (f.schedule !== null && t.scheduleId !== f.schedule) return false;
    if (f.fromSchedule !== null && (t.scheduleId !== null) !== f.fromSchedule) return false;
    return f.q === null || t.name.toLowerCase().includes(f.q.toLowerCase());
  }

  /** The fragments this batch means for the list ("" when none). */
  onBatch(batch: FeedBatch): string {
    const created = new Set(batch.taskChanges.filter((c) => c.status === "created").map((c) => c.id));
    const parts: string[] = [];
    const fresh: Task[] = [];
    const candidates: Task[] = [];
    for (const [id, task] of batch.tasks) {
      const match = this.matches(task);
      if (this.shown.has(id)) {
        parts.push(this.render.row(batch, task, true, !match));
        continue;
      }
      if (!match) {
        this.waiting.delete(id);
        continue;
      }
      // Without a status filter, whether a task matches never changes after its creation:
      // an update of a task not shown is one on an older page.
      const entering = created.has(id) || this.filter.statuses.length > 0;
      if (this.page.firstPage && entering && this.withinPage(task)) candidates.push(task);
    }
    // The newest fill the free places; the rest wait behind the bar.
    candidates.sort((a, b) => comparePositions(b, a));
    for (const t of candidates) {
      if (this.shown.size < this.page.limit) {
        this.shown.add(t.id);
        this.waiting.delete(t.id);
        fresh.push(t);
      } else this.waiting.add(t.id);
    }
    // Inserted at the top; live-list.js moves each row to its place by creation.
    if (fresh.length > 0) parts.unshift(`<tbody hx-swap-oob="afterbegin:#${TASK_ROWS_ID}">${fresh.map((t) => this.render.row(batch, t, false, false)).join("")}</tbody>`);
    if (this.waiting.size !== this.barCount) {
      this.barCount = this.waiting.size;
      parts.push(NewerTasksBar({ count: this.barCount, href: this.showHref() }) as string);
    }
    return parts.join("\n");
  }

  /** Whether a task sorts into the first page: older pages start below its last row. */
  private withinPage(t: Task): boolean {
    return this.oldest === null || comparePositions(t, this.oldest) > 0;
  }

  private showHref(): string {
    return listUrl({ ...filterParams(this.filter), ...(this.page.limit === LIST_LIMIT_DEFAULT ? {} : { limit: String(this.page.limit) }) });
  }

  /**
   * Replaces every row (and the pager) with a fresh page (after a gap in the feed),
   * rendered as the page renders it (waiting and failure reasons); later batches follow these rows.
   */
  resync(tasks: Task[], pager: TasksPagerProps, now: Date, reasons: Pick<TaskRowsProps, "reasons" | "failures"> = {}): string {
    this.shown.clear();
    this.waiting.clear();
    for (const t of tasks) this.shown.add(t.id);
    this.oldest = pager.olderHref === null ? null : (tasks.at(-1) ?? null);
    this.barCount = 0;
    return [
      `<tbody hx-swap-oob="innerHTML:#${TASK_ROWS_ID}">${TaskRows({ tasks, now, ...reasons }) as string}</tbody>`,
      TasksPager({ ...pager, oob: true }) as string,
      NewerTasksBar({ count: 0, href: this.showHref() }) as string,
    ].join("\n");
  }
}
