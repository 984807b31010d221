/**
 * Webhooks: every webhook with its URL, the events it wants, its filter and format,
 * whether it is signed and enabled, and how its deliveries stand (pending, given up,
 * the newest one's status), with enable/disable buttons and a link to its deliveries.
 * Webhooks are created over the API (docs/notifications.md), which shows the curl line.
 */
import type { WebhookView } from "../../src/db/queries/list-webhooks.ts";
import { StatusBadge } from "../components/status-badge.tsx";
import { Layout, type PageChrome } from "../layout.tsx";

export interface WebhooksPageProps extends PageChrome {
  webhooks: WebhookView[];
  now: Date;
}

export const webhookPageUrl = (id: string) => `/webhooks/${id}`;

export function WebhooksPage({ webhooks, now, actions }: WebhooksPageProps) {
  return (
    <Layout title="Webhooks" nav="webhooks" now={now} actions={actions}>
      <div class="page-head">
        <h1>Webhooks</h1>
      </div>
      <div class="table-wrap">
        <table class="webhooks stack-on-phone">
          <thead>
            <tr>
              <th scope="col">URL</th>
              <th scope="col">Events</th>
              <th scope="col">Filter</th>
              <th scope="col">Deliveries</th>
              <th scope="col">State</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {webhooks.length === 0 ? (
              <tr>
                <td colspan="6" class="empty">
                  No webhooks yet. Register one with <code>POST /api/webhooks</code> (see docs/notifications.md) to hear of failures, recoveries and dead workers.
                </td>
              </tr>
            ) : (
              webhooks.map((w) => <WebhookRow webhook={w} />)
            )}
          </tbody>
        </table>
      </div>
      <p class="muted footnote">
        Deliveries are retried with backoff for 24 hours; each attempt is listed on the webhook's page. Signed webhooks carry X-Taskflow-Signature.
      </p>
    </Layout>
  );
}

function WebhookRow({ webhook: w }: { webhook: WebhookView }) {
  const filter = [w.queue && `queue ${w.queue}`, w.namePrefix && `name ${w.namePrefix}…`, w.scheduleId && `schedule ${w.scheduleId}`].filter(Boolean).join(", ");
  return (
    <tr id={`webhook-${w.id}`}>
      <td data-label="URL" class="cell-name">
        <a href={webhookPageUrl(w.id)} class="mono" safe>
          {w.url}
        </a>
        <small class="muted" safe>
          {`${w.format === "slack" ? "Slack format" : "JSON"}${w.secret !== null ? ", signed" : ", unsigned"}`}
        </small>
      </td>
      <td data-label="Events">
        <small class="mono" safe>
          {w.events.join(", ")}
        </small>
      </td>
      <td data-label="Filter">
        <small class={filter ? "mono" : "muted"} safe>
          {filter || "all"}
        </small>
      </td>
      <td data-label="Deliveries">
        {w.lastDeliveryStatus ? <StatusBadge status={w.lastDeliveryStatus} /> : <span class="muted">none yet</span>}
        <small class="muted" safe>
          {`${w.pending} pending, ${w.failed} given up`}
        </small>
      </td>
      <td data-label="State">
        <StatusBadge status={w.enabled ? "enabled" : "disabled"} />
      </td>
      <td data-label="Actions" class="row-actions">
        <form method="post" action={`/webhooks/${w.id}/${w.enabled ? "disable" : "enable"}`}>
          <button type="submit" class="button" title={w.enabled ? "Make no new deliveries (pending ones are still sent)" : "Deliver new events again"}>
            {w.enabled ? "Disable" : "Enable"}
          </button>
        </form>
        <a href={webhookPageUrl(w.id)} class="button subtle">
          Deliveries
        </a>
      </td>
    </tr>
  );
}
