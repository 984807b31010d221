/**
 * Loads everything the overview shows (six small queries plus the cached retention facts, whose cost follows the
 * live backlog and the last hour, not the history) and renders its panels once for
 * every client. Finished tasks are counted up to FINISHED_COUNT_CAP, as the metrics
 * do, and shown as "100,000+" beyond it.
 */
import { countTasksByStatus, countWorkersByStatus } from "../../db/queries/dashboard-counts.ts";
import { queueLag } from "../../db/queries/dashboard-queue-lag.ts";
import { recentFailures } from "../../db/queries/dashboard-recent-failures.ts";
import { throughputPerMinute } from "../../db/queries/dashboard-throughput.ts";
import { FINISHED_COUNT_CAP, finishedCounts, type FinishedCounts } from "../../db/queries/metrics-snapshot.ts";
import type { Db } from "../../db/client.ts";
import { QueueLagTable } from "../../../views/fragments/queue-lag.tsx";
import { RecentFailures } from "../../../views/fragments/recent-failures.tsx";
import { RetentionSummary } from "../../../views/fragments/retention-summary.tsx";
import { StatusCounts } from "../../../views/fragments/status-counts.tsx";
import { ThroughputChart } from "../../../views/fragments/throughput-chart.tsx";
import { WorkersSummary } from "../../../views/fragments/workers-summary.tsx";
import { OVERVIEW_EVENTS } from "../../../views/live-events.ts";
import type { OverviewData } from "../../../views/pages/overview.tsx";
import type { RetentionFacts } from "../metrics/retention-reader.ts";

/** Counts finished tasks (capped); see CappedFinishedCounts. */
export type FinishedCounter = (db: Db) => Promise<FinishedCounts>;

/** The retention facts (cached by the scheduler's RetentionReader). */
export type RetentionLoader = () => Promise<RetentionFacts | null>;

export async function loadOverview(db: Db, finished: FinishedCounter = finishedCounts, retentionFacts: RetentionLoader = async () => null): Promise<OverviewData> {
  const [active, done, workerCounts, throughput, queues, failures, retention] = await Promise.all([
    countTasksByStatus(db, ["created", "picked", "running"] as const),
    finished(db),
    countWorkersByStatus(db),
    throughputPerMinute(db),
    queueLag(db),
    recentFailures(db),
    retentionFacts(),
  ]);
  // queueLag already counted every scheduled task, per queue.
  const scheduled = queues.reduce((n, q) => n + q.waiting, 0);
  return { taskCounts: { ...active, scheduled, ...done }, countCap: FINISHED_COUNT_CAP, workerCounts, throughput, queues, failures, retention };
}

/** The overview's panels as SSE events (event name → fragment), the same fragments the page renders. */
export function overviewEvents(data: OverviewData, now: Date): Record<string, string> {
  return {
    [OVERVIEW_EVENTS.counts]: StatusCounts({ counts: data.taskCounts, cap: data.countCap }) as string,
    [OVERVIEW_EVENTS.throughput]: ThroughputChart({ minutes: data.throughput }) as string,
    [OVERVIEW_EVENTS.workers]: WorkersSummary({ counts: data.workerCounts }) as string,
    [OVERVIEW_EVENTS.queues]: QueueLagTable({ queues: data.queues }) as string,
    [OVERVIEW_EVENTS.failures]: RecentFailures({ tasks: data.failures, now }) as string,
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
