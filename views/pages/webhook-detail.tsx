/**
 * One webhook's deliveries, newest first: the event, its status, when it was made and
 * will next be tried, and every attempt with its HTTP status, duration, error and the
 * start of the receiver's answer. Older deliveries page by cursor, like the API.
 */
import type { DeliveryView } from "../../src/db/queries/list-webhook-deliveries.ts";
import type { WebhookView } from "../../src/db/queries/list-webhooks.ts";
import { StatusBadge } from "../components/status-badge.tsx";
import { RelativeTime } from "../components/time.tsx";
import { Layout, type PageChrome } from "../layout.tsx";

export interface WebhookDetailPageProps extends PageChrome {
  webhook: WebhookView;
  deliveries: DeliveryView[];
  /** The link to older deliveries, if there are any. */
  olderUrl: string | null;
  now: Date;
}

export function WebhookDetailPage({ webhook: w, deliveries, olderUrl, now, actions }: WebhookDetailPageProps) {
  return (
    <Layout title="Webhook deliveries" nav="webhooks" now={now} actions={actions}>
      <div class="page-head">
        <h1>Webhook deliveries</h1>
        <a class="button subtle" href="/webhooks">
          All webhooks
        </a>
      </div>
      <p>
        <code safe>{w.url}</code> <StatusBadge status={w.enabled ? "enabled" : "disabled"} />
        <small class="muted mono" safe>
          {` ${w.events.join(", ")}`}
        </small>
      </p>
      <div class="table-wrap">
        <table class="deliveries stack-on-phone">
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
              <th scope="col">Attempts</th>
            </tr>
          </thead>
          <tbody>
            {deliveries.length === 0 ? (
              <tr>
                <td colspan="4" class="empty">
                  No deliveries yet: none of the events this webhook wants has happened since it was made.
                </td>
              </tr>
            ) : (
              deliveries.map((d) => <DeliveryRow delivery={d} now={now} />)
            )}
          </tbody>
        </table>
      </div>
      {olderUrl === null ? null : (
        <p>
          <a class="button subtle" href={olderUrl}>
            Older deliveries
          </a>
        </p>
      )}
    </Layout>
  );
}

function DeliveryRow({ delivery: d, now }: { delivery: DeliveryView; now: Date }) {
  const task = d.payload.task as { id?: string; name?: string } | undefined;
  const worker = d.payload.worker as { name?: string } | undefined;
  return (
    <tr id={`delivery-${d.id}`}>
      <td data-label="Event">
        <span class="mono" safe>
          {d.event}
        </span>
        {task?.id ? (
          <a href={`/tasks/${task.id}`} class="task-name" safe>
            {task.name ?? task.id}
          </a>
        ) : worker?.name === undefined ? null : (
          <small class="muted">
            worker <span safe>{worker.name}</span>
          </small>
        )}
        <small class="muted mono" safe>
          {d.id}
        </small>
      </td>
      <td data-label="Status">
        <StatusBadge status={d.status} />
        {d.status !== "pending" || d.attempts === 0 ? null : (
          <small class="muted">
            next try <RelativeTime at={d.nextAttemptAt} now={now} />
          </small>
        )}
      </td>
      <td data-label="Created">
        <RelativeTime at={d.createdAt} now={now} absolute />
      </td>
      <td data-label="Attempts">
        {d.attemptLog.length === 0 ? (
          <span class="muted">{d.attempts === 0 ? "not tried yet" : "being sent"}</span>
        ) : (
          <ol class="attempt-log">
            {d.attemptLog.map((a) => (
              <li>
                <RelativeTime at={a.startedAt} now={now} />{" "}
                <span safe>{`${a.statusCode ?? "no answer"} in ${a.durationMs} ms${a.error ? `: ${a.error}` : ""}`}</span>
                {a.responseSnippet === null ? null : <pre class="mono" safe>{a.responseSnippet}</pre>}
              </li>
            ))}
          </ol>
        )}
      </td>
    </tr>
  );
}
