/**
 * What every open dashboard shares in this process, so that their number does
 * not multiply database work: the overview, workers and schedules snapshots
 * (loaded at most once a second, rendered once for all clients), task details loaded once per
 * change, task rows rendered once per feed batch, and the feed position pages
 * embed so their stream resumes exactly where the page was rendered.
 */
import type { Db } from "../../db/client.ts";
import { getTask, type TaskDetail } from "../../db/queries/get-task.ts";
import { listSchedules, type ScheduleView } from "../../db/queries/list-schedules.ts";
import { listWorkers } from "../../db/queries/list-workers.ts";
import { listWorkerTasks, type WorkerTask } from "../../db/queries/list-worker-tasks.ts";
import type { TaskRow as Task, WorkerRow } from "../../db/schema/index.ts";
import type { Logger } from "../../log/logger.ts";
import { ScheduleRows } from "../../../views/fragments/schedule-rows.tsx";
import { TaskAttempts } from "../../../views/fragments/task-attempts.tsx";
import { TaskRow } from "../../../views/fragments/task-row.tsx";
import { TaskSummary } from "../../../views/fragments/task-summary.tsx";
import { TaskGoneNotice, taskFailureReason } from "../../../views/pages/task-detail.tsx";
import { waitingReason } from "../../core/waiting-reason.ts";
import { TaskTimeline } from "../../../views/fragments/task-timeline.tsx";
import { WorkerRows } from "../../../views/fragments/worker-rows.tsx";
import { TASK_DETAIL_EVENTS } from "../../../views/live-events.ts";
import type { ChangeFeed, FeedBatch } from "../live/change-feed.ts";
import { followFeed, formatPosition } from "../live/follow-feed.ts";
import { LiveSnapshot } from "./live-snapshot.ts";
import { CappedFinishedCounts, loadOverview, overviewEvents, type OverviewData, type RetentionLoader } from "./overview-data.ts";
import { SharedTaskDetails } from "./shared-task-details.ts";
import { loadAttemptLogs, type AttemptLogView } from "./attempt-logs.ts";

/** Aggregates are recomputed at most this often, however many clients watch. */
export const SNAPSHOT_MIN_INTERVAL_MS = 1000;
/** The overview also refreshes this often with no change (lag grows, the chart's window slides). */
export const OVERVIEW_REFRESH_MS = 5000;
/** Heartbeats change `running` and ages without notifications; the default heartbeat interval. */
export const WORKERS_REFRESH_MS = 2000;
/**
 * Schedules change only by notification (edits, ticks, their tasks' transitions);
 * this slow refresh is a safety net for a notification lost while reconnecting.
 */
export const SCHEDULES_REFRESH_MS = 30_000;

export interface DashboardLoaders {
  overview: (db: Db) => Promise<OverviewData>;
  workers: (db: Db) => Promise<WorkerRow[]>;
  /** The live tasks of the listed live workers, linked from their rows. */
  workerTasks: (db: Db, workerIds: string[]) => Promise<Map<string, WorkerTask[]>>;
  task: (db: Db, id: string) => Promise<TaskDetail | null>;
  schedules: (db: Db) => Promise<ScheduleView[]>;
}

export interface RenderedOverview {
  data: OverviewData;
  /** SSE event name → fragment. */
  events: Record<string, string>;
}

export interface RenderedWorkers {
  workers: WorkerRow[];
  tasks: Map<string, WorkerTask[]>;
  rows: string;
}

export interface RenderedSchedules {
  schedules: ScheduleView[];
  rows: string;
}

export interface RenderedTask {
  detail: TaskDetail | null;
  events: Record<string, string>;
}

export interface FollowHandlers {
  batch(batch: FeedBatch): void;
  /** The batches since the page's position are not all known (another process, a restart, too long ago): start over. */
  resync(): void;
}

export class DashboardLive {
  readonly overview: LiveSnapshot<RenderedOverview>;
  readonly workers: LiveSnapshot<RenderedWorkers>;
  readonly schedules: LiveSnapshot<RenderedSchedules>;
  readonly tasks: SharedTaskDetails<RenderedTask>;
  /** Rows rendered for the batch being delivered: every stream handles a batch right after the others. */
  private rowCache: { batch: FeedBatch; rows: Map<string, string> } | null = null;

  constructor(
    db: Db,
    readonly feed: ChangeFeed,
    readonly log: Logger,
    loaders: Partial<DashboardLoaders> = {},
    retention?: RetentionLoader,
  ) {
    const finished = new CappedFinishedCounts();
    const load: DashboardLoaders = {
      overview: (d) => loadOverview(d, finished.read, retention),
      workers: (d) => listWorkers(d),
      workerTasks: listWorkerTasks,
      task: getTask,
      schedules: async (d) => (await listSchedules(d)).schedules,
      ...loaders,
    };
    this.overview = new LiveSnapshot({
      load: async () => {
        const data = await load.overview(db);
        return { data, events: overviewEvents(data, new Date()) };
      },
      minIntervalMs: SNAPSHOT_MIN_INTERVAL_MS,
      refreshMs: OVERVIEW_REFRESH_MS,
      affectedBy: (b) => b.taskChanges.length > 0 || b.workerChanges.length > 0,
      feed,
      log,
    });
    this.workers = new LiveSnapshot({
      load: async () => {
        const workers = await load.workers(db);
        const tasks = await load.workerTasks(db, workers.filter((w) => w.running > 0).map((w) => w.id));
        return { workers, tasks, rows: WorkerRows({ workers, tasks, now: new Date() }) as string };
      },
      minIntervalMs: SNAPSHOT_MIN_INTERVAL_MS,
      refreshMs: WORKERS_REFRESH_MS,
      affectedBy: (b) => b.workerChanges.length > 0,
      feed,
      log,
    });
    this.schedules = new LiveSnapshot({
      load: async () => {
        const schedules = await load.schedules(db);
        return { schedules, rows: ScheduleRows({ schedules, now: new Date() }) as string };
      },
      minIntervalMs: SNAPSHOT_MIN_INTERVAL_MS,
      refreshMs: SCHEDULES_REFRESH_MS,
      affectedBy: affectsSchedules,
      feed,
      log,
    });
    this.tasks = new SharedTaskDetails(async (id) => {
      const detail = await load.task(db, id);
      return renderTask(detail, detail ? await loadAttemptLogs(db, detail) : new Map());
    });
  }

  /** The feed position now, as pages embed it in their stream URL (and streams send as event ids). */
  position(seq = this.feed.lastSeq): string {
    return formatPosition(this.feed.epoch, seq);
  }

  /**
   * The position for a page whose stream will read task rows (the task list): the
   * feed loads rows from now on, so the batches it replays to that stream have them.
   */
  rowsPosition(): string {
    this.feed.holdRows();
    return this.position();
  }

  /**
   * Follows the feed from `from` (a position this process gave out, or null):
   * replays the batches after it, or calls `resync` first when it cannot. With
   * `rows`, batches come with their task rows, and a replay that lacks them
   * (nobody read rows then) resyncs too. Returns the unsubscribe function.
   */
  follow(from: string | null, handlers: FollowHandlers, opts: { rows?: boolean } = {}): () => void {
    return followFeed(this.feed, from, { batch: (b) => handlers.batch(b), resync: () => handlers.resync() }, opts);
  }

  /** A task's list row rendered once per batch, whoever shows it, with the failure reason the feed loaded for it. */
  taskRow(batch: FeedBatch, task: Task, oob: boolean, left = false): string {
    if (this.rowCache?.batch !== batch) this.rowCache = { batch, rows: new Map() };
    const rows = this.rowCache.rows;
    const key = `${task.id}:${oob}:${left}`;
    let html = rows.get(key);
    if (html === undefined) rows.set(key, (html = TaskRow({ task, now: new Date(), oob, left, failure: batch.failures.get(task.id) ?? null }) as string));
    return html;
  }
}

/**
 * Whether a batch may change the schedules list: a schedule was created, edited,
 * deleted or ticked, or a task some schedule made moved on (its status is the
 * "last run" badge; the notification says whether a schedule made the task).
 * Reloads stay throttled to one a second whatever the batch rate.
 */
export function affectsSchedules(b: FeedBatch): boolean {
  return b.scheduleChanges.length > 0 || b.taskChanges.some((c) => c.schedule === true);
}

function renderTask(detail: TaskDetail | null, logs: Map<number, AttemptLogView>): RenderedTask {
  if (detail === null) return { detail, events: { [TASK_DETAIL_EVENTS.gone]: TaskGoneNotice() as string } };
  const now = new Date();
  return {
    detail,
    events: {
      [TASK_DETAIL_EVENTS.summary]: TaskSummary({ task: detail.task, now, waitingReason: detail.waiting ? waitingReason(detail.waiting) : null, failureReason: taskFailureReason(detail) }) as string,
      [TASK_DETAIL_EVENTS.timeline]: TaskTimeline({ events: detail.events, now }) as string,
      [TASK_DETAIL_EVENTS.attempts]: TaskAttempts({ attempts: detail.attempts, now, logs }) as string,
    },
  };
}
