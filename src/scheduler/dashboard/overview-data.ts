/** Loads everything the overview shows (five small aggregate queries) and renders its panels once for every client. */
import { countTasksByStatus, countWorkersByStatus } from "../../db/queries/dashboard-counts.ts";
import { queueLag } from "../../db/queries/dashboard-queue-lag.ts";
import { recentFailures } from "../../db/queries/dashboard-recent-failures.ts";
import { throughputPerMinute } from "../../db/queries/dashboard-throughput.ts";
import type { Db } from "../../db/client.ts";
import { QueueLagTable } from "../../../views/fragments/queue-lag.tsx";
import { RecentFailures } from "../../../views/fragments/recent-failures.tsx";
import { StatusCounts } from "../../../views/fragments/status-counts.tsx";
import { ThroughputChart } from "../../../views/fragments/throughput-chart.tsx";
import { WorkersSummary } from "../../../views/fragments/workers-summary.tsx";
import { OVERVIEW_EVENTS } from "../../../views/live-events.ts";
import type { OverviewData } from "../../../views/pages/overview.tsx";

export async function loadOverview(db: Db): Promise<OverviewData> {
  const [taskCounts, workerCounts, throughput, queues, failures] = await Promise.all([
    countTasksByStatus(db),
    countWorkersByStatus(db),
    throughputPerMinute(db),
    queueLag(db),
    recentFailures(db),
  ]);
  return { taskCounts, workerCounts, throughput, queues, failures };
}

/** The overview's panels as SSE events (event name → fragment), the same fragments the page renders. */
export function overviewEvents(data: OverviewData, now: Date): Record<string, string> {
  return {
    [OVERVIEW_EVENTS.counts]: StatusCounts({ counts: data.taskCounts }) as string,
    [OVERVIEW_EVENTS.throughput]: ThroughputChart({ minutes: data.throughput }) as string,
    [OVERVIEW_EVENTS.workers]: WorkersSummary({ counts: data.workerCounts }) as string,
    [OVERVIEW_EVENTS.queues]: QueueLagTable({ queues: data.queues }) as string,
    [OVERVIEW_EVENTS.failures]: RecentFailures({ tasks: data.failures, now }) as string,
  };
}
