/** Worker sessions: live ones first, then recently dead ones, with heartbeat ages ticking. */
import type { WorkerRow } from "../../src/db/schema/index.ts";
import type { WorkerTask } from "../../src/db/queries/list-worker-tasks.ts";
import { WorkerRows, WORKER_ROWS_ID } from "../fragments/worker-rows.tsx";
import { ActionPanel, WORKER_NOTICE_ID } from "../fragments/action-panel.tsx";
import { Layout, type PageChrome } from "../layout.tsx";
import { LIVE_PATHS, WORKERS_EVENT } from "../live-events.ts";

export function WorkersPage({ workers, now, actions, tasks }: { workers: WorkerRow[]; now: Date; tasks?: Map<string, WorkerTask[]> } & PageChrome) {
  return (
    <Layout title="Workers" nav="workers" now={now} actions={actions}>
      <div class="live" hx-ext="sse" sse-connect={LIVE_PATHS.workers}>
        <div class="page-head">
          <h1>Workers</h1>
        </div>
        <ActionPanel id={WORKER_NOTICE_ID} />
        <div class="table-wrap">
          <table class="workers stack-on-phone">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Host</th>
                <th scope="col">Status</th>
                <th scope="col">Heartbeat</th>
                <th scope="col" class="num">Running</th>
                <th scope="col">Queues</th>
                <th scope="col">Labels</th>
                <th scope="col">Version</th>
                <th scope="col">Uptime</th>
              </tr>
            </thead>
            <tbody id={WORKER_ROWS_ID} sse-swap={WORKERS_EVENT}>
              <WorkerRows workers={workers} now={now} tasks={tasks} />
            </tbody>
          </table>
        </div>
      </div>
    </Layout>
  );
}
