/** The overview: task counts by status, throughput, workers, queue lag and recent failures, all live. */
import type { OverviewData } from "../../src/scheduler/dashboard/overview-data.ts";
import { QueueLagTable } from "../fragments/queue-lag.tsx";
import { RecentFailures } from "../fragments/recent-failures.tsx";
import { RetentionSummary } from "../fragments/retention-summary.tsx";
import { StatusCounts } from "../fragments/status-counts.tsx";
import { ThroughputChart } from "../fragments/throughput-chart.tsx";
import { WorkersSummary } from "../fragments/workers-summary.tsx";
import { Layout, type PageChrome } from "../layout.tsx";
import { LIVE_PATHS, OVERVIEW_EVENTS } from "../live-events.ts";

export function OverviewPage({ data, now, actions }: { data: OverviewData; now: Date } & PageChrome) {
  return (
    <Layout title="Overview" nav="overview" now={now} actions={actions}>
      <div class="live" hx-ext="sse" sse-connect={LIVE_PATHS.overview}>
        <div class="page-head">
          <h1>Overview</h1>
          <a class="button primary" href="/tasks/new">
            New task
          </a>
        </div>
        <div class="grid">
          <section class="panel wide" aria-labelledby="h-counts">
            <h2 id="h-counts">Tasks by status</h2>
            <div sse-swap={OVERVIEW_EVENTS.counts}>
              <StatusCounts counts={data.taskCounts} cap={data.countCap} />
            </div>
          </section>
          <section class="panel wide" aria-labelledby="h-throughput">
            <h2 id="h-throughput">Throughput</h2>
            <div sse-swap={OVERVIEW_EVENTS.throughput}>
              <ThroughputChart minutes={data.throughput} />
            </div>
          </section>
          <section class="panel" aria-labelledby="h-workers">
            <h2 id="h-workers">
              <a href="/workers">Workers</a>
            </h2>
            <div sse-swap={OVERVIEW_EVENTS.workers}>
              <WorkersSummary counts={data.workerCounts} />
            </div>
          </section>
          <section class="panel" aria-labelledby="h-queues">
            <h2 id="h-queues">Queue lag</h2>
            <div sse-swap={OVERVIEW_EVENTS.queues}>
              <QueueLagTable queues={data.queues} />
            </div>
          </section>
          <section class="panel wide" aria-labelledby="h-failures">
            <h2 id="h-failures">
              <a href="/failures" title="The last day's failures grouped by name and reason">
                Recent failures
              </a>
            </h2>
            <div sse-swap={OVERVIEW_EVENTS.failures}>
              <RecentFailures tasks={data.failures} now={now} reasons={data.failureReasons} />
            </div>
          </section>
          <section class="panel" aria-labelledby="h-retention">
            <h2 id="h-retention">Retention</h2>
            <div sse-swap={OVERVIEW_EVENTS.retention}>
              <RetentionSummary retention={data.retention} />
            </div>
          </section>
        </div>
      </div>
    </Layout>
  );
}
