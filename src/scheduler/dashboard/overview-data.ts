/**
 * Loads everything the overview shows (five small queries plus the cached retention facts, whose cost follows the
 * live backlog and the last hour, not the history) and renders its panels once for
 * every client. Live tasks and workers are counted by the same queries as /metrics;
 * finished tasks are counted up to FINISHED_COUNT_CAP, as the metrics do, and shown
 * as "100,000+" beyond it.
 */
import { loadFailureFacts } from "../../db/queries/load-failure-facts.ts";
import { failureReason } from "../../core/failure-reason.ts";
import type { TaskStatus, WorkerStatus } from "../../core/task-status.ts";
import type { Db } from "../../db/client.ts";
import { countLiveTasks, type QueueGauges, type UnfinishedStatus } from "../../db/queries/count-live-tasks.ts";
import { countWorkers } from "../../db/queries/count-workers.ts";
import { FINISHED_COUNT_CAP, finishedCounts, type FinishedCounts } from "../../db/queries/finished-counts.ts";
import { listRecentFailures } from "../../db/queries/list-recent-failures.ts";
import { throughputPerMinute, type MinuteCount } from "../../db/queries/throughput-per-minute.ts";
import type { TaskRow } from "../../db/schema/index.ts";
import { QueueLagTable } from "../../../views/fragments/queue-lag.tsx";
import { RecentFailures } from "../../../views/fragments/recent-failures.tsx";
import { RetentionSummary } from "../../../views/fragments/retention-summary.tsx";
import { StatusCounts } from "../../../views/fragments/status-counts.tsx";
import { ThroughputChart } from "../../../views/fragments/throughput-chart.tsx";
import { WorkersSummary } from "../../../views/fragments/workers-summary.tsx";
import { OVERVIEW_EVENTS } from "../../../views/live-events.ts";
import type { RetentionFacts } from "../metrics/retention-reader.ts";

/** Everything the overview shows, loaded at once and shared by every open overview. */
export interface OverviewData {
  taskCounts: Record<TaskStatus, number>;
  /** Finished statuses are counted up to this many: a count that reaches it means "at least". */
  countCap: number;
  workerCounts: Record<WorkerStatus, number>;
  throughput: MinuteCount[];
  queues: QueueLag[];
  failures: TaskRow[];
  /** Each failure's reason (core/failure-reason.ts: the error, or the last line of stderr), by task id. */
  failureReasons: Map<string, string | null>;
  /** Retention policies and stats; null when not available (tests without them). */
  retention: RetentionFacts | null;
}

/** One row of the queue lag panel. */
export interface QueueLag {
  queue: string;
  /** Scheduled tasks, due or not. */
  waiting: number;
  /** Scheduled tasks whose run_at has passed. */
  due: number;
  /** Age of the oldest due task (0 when none is due), by the database clock. */
  lagMs: number;
  /** Alive workers serving the queue: 0 means nothing will run its tasks. */
  workers: number;
}

/** Counts finished tasks (capped); see CappedFinishedCounts. */
export type FinishedCounter = (db: Db) => Promise<FinishedCounts>;

/** The retention facts (cached by the scheduler's RetentionReader). */
export type RetentionLoader = () => Promise<RetentionFacts | null>;

export async function loadOverview(db: Db, finished: FinishedCounter = finishedCounts, retentionFacts: RetentionLoader = async () => null): Promise<OverviewData> {
  const [live, done, workers, throughput, failures, retention] = await Promise.all([
    countLiveTasks(db),
    finished(db),
    countWorkers(db),
    throughputPerMinute(db),
    listRecentFailures(db),
    retentionFacts(),
  ]);
  const facts = await loadFailureFacts(db, failures.map((t) => t.id));
  const failureReasons = new Map([...facts].map(([id, f]) => [id, failureReason(f.error, f.stderrLastLine)]));
  return {
    taskCounts: { ...liveTaskCounts(live), ...done },
    countCap: FINISHED_COUNT_CAP,
    workerCounts: workers.recent,
    throughput,
    queues: queueLagOf(live, workers.aliveByQueue),
    failures,
    failureReasons,
    retention,
  };
}

/** Unfinished tasks by status, over every queue. */
export function liveTaskCounts(queues: QueueGauges[]): Record<UnfinishedStatus, number> {
  const counts = { created: 0, scheduled: 0, picked: 0, running: 0 };
  for (const q of queues) for (const s of Object.keys(counts) as UnfinishedStatus[]) counts[s] += q.counts[s];
  return counts;
}

/** The queue lag panel: the queues with scheduled tasks, by name, with how many alive workers serve each. */
export function queueLagOf(queues: QueueGauges[], aliveByQueue: Record<string, number> = {}): QueueLag[] {
  return queues
    .filter((q) => q.counts.scheduled > 0)
    .map((q) => ({ queue: q.queue, waiting: q.counts.scheduled, due: q.due, lagMs: q.lagSeconds * 1000, workers: aliveByQueue[q.queue] ?? 0 }));
}

/** The overview's panels as SSE events (event name → fragment), the same fragments the page renders. */
export function overviewEvents(data: OverviewData, now: Date): Record<string, string> {
  return {
    [OVERVIEW_EVENTS.counts]: StatusCounts({ counts: data.taskCounts, cap: data.countCap }) as string,
    [OVERVIEW_EVENTS.throughput]: ThroughputChart({ minutes: data.throughput }) as string,
    [OVERVIEW_EVENTS.workers]: WorkersSummary({ counts: data.workerCounts }) as string,
    [OVERVIEW_EVENTS.queues]: QueueLagTable({ queues: data.queues }) as string,
    [OVERVIEW_EVENTS.failures]: RecentFailures({ tasks: data.failures, now, reasons: data.failureReasons }) as string,
    [OVERVIEW_EVENTS.retention]: RetentionSummary({ retention: data.retention }) as string,
  };
}

/** A status counted at the cap is counted again at most this often. */
export const CAPPED_RECOUNT_MS = 15_000;

const FINISHED: (keyof FinishedCounts)[] = ["completed", "failed", "cancelled"];

/**
 * finishedCounts for the overview, which reloads every second while watched and on
 * every page view: a status that reached the cap shows "100,000+" however much it
 * grows, so its count (the dearest: the full cap of index entries) is reused for
 * CAPPED_RECOUNT_MS, while statuses under the cap are counted on every load, so
 * small installations see every task finish.
 */
export class CappedFinishedCounts {
  private atCap: { at: number; counts: Partial<FinishedCounts> } = { at: Number.NEGATIVE_INFINITY, counts: {} };

  constructor(
    private readonly count: typeof finishedCounts = finishedCounts,
    private readonly now: () => number = Date.now,
  ) {}

  readonly read: FinishedCounter = async (db) => {
    const reuse = this.now() - this.atCap.at < CAPPED_RECOUNT_MS ? this.atCap.counts : {};
    const counted = await this.count(db, FINISHED_COUNT_CAP, FINISHED.filter((s) => reuse[s] === undefined));
    const counts = { ...counted, ...reuse };
    if (Object.keys(reuse).length === 0) {
      this.atCap = { at: this.now(), counts: Object.fromEntries(FINISHED.filter((s) => counts[s] >= FINISHED_COUNT_CAP).map((s) => [s, counts[s]])) };
    }
    return counts;
  };
}
