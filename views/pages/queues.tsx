/**
 * Queues: each one's backlog, lag and the workers serving it, with pause and
 * resume as plain form posts (they work without JavaScript). A paused queue's
 * tasks are not claimed; running ones finish.
 */
import type { QueueJson } from "../../src/scheduler/queues/model.ts";
import { StatusBadge } from "../components/status-badge.tsx";
import { Layout, type PageChrome } from "../layout.tsx";
import { formatDuration } from "../format.ts";

export function QueuesPage({ queues, now, actions }: { queues: QueueJson[]; now: Date } & PageChrome) {
  return (
    <Layout title="Queues" nav="queues" now={now} actions={actions}>
      <div class="page-head">
        <h1>Queues</h1>
      </div>
      <div class="table-wrap">
        <table class="queues stack-on-phone">
          <thead>
            <tr>
              <th scope="col">Queue</th>
              <th scope="col">State</th>
              <th scope="col" class="num">Waiting</th>
              <th scope="col" class="num">Due</th>
              <th scope="col" class="num">Running</th>
              <th scope="col">Lag</th>
              <th scope="col">Workers</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {queues.length === 0 ? (
              <tr>
                <td colspan="8" class="empty">
                  No queues yet: a queue appears with its first task or the first worker serving it.
                </td>
              </tr>
            ) : (
              queues.map((q) => <QueueRow queue={q} />)
            )}
          </tbody>
        </table>
      </div>
    </Layout>
  );
}

function QueueRow({ queue: q }: { queue: QueueJson }) {
  return (
    <tr id={`queue-${q.name}`} class={q.paused ? "queue-row is-paused" : "queue-row"} data-paused={String(q.paused)}>
      <td data-label="Queue">
        <a href={`/tasks?queue=${encodeURIComponent(q.name)}`} class="queue" safe>
          {q.name}
        </a>
      </td>
      <td data-label="State">
        <StatusBadge status={q.paused ? "paused" : "active"} />
      </td>
      <td data-label="Waiting" class="num">
        {q.counts.created + q.counts.scheduled}
      </td>
      <td data-label="Due" class="num">
        {q.due}
      </td>
      <td data-label="Running" class="num">
        {q.counts.picked + q.counts.running}
      </td>
      <td data-label="Lag" safe>
        {q.due === 0 ? "—" : formatDuration(q.lag_seconds * 1000)}
      </td>
      <td data-label="Workers" safe>
        {q.workers === 0 ? "none" : `${q.workers} (${q.busy} of ${q.slots} slots busy)`}
      </td>
      <td data-label="Actions" class="row-actions">
        <form method="post" action={`/queues/${encodeURIComponent(q.name)}/${q.paused ? "resume" : "pause"}`}>
          <button type="submit" class="button" title={q.paused ? "Claim its tasks again" : "Claim none of its tasks until resumed; running ones finish"}>
            {q.paused ? "Resume" : "Pause"}
          </button>
        </form>
      </td>
    </tr>
  );
}
