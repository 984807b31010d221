/**
 * The last day's failed tasks grouped by name and failure reason, most failures
 * first (the same groups as GET /api/failures), each with Retry all and Cancel
 * all: links to the bulk confirmation, which counts what they touch (a page of
 * its own without JavaScript, the panel above the table with htmx).
 */
import type { FailureGroupJson } from "../../src/scheduler/failures/model.ts";
import { RelativeTime } from "../components/time.tsx";
import { formatCount } from "../format.ts";
import { ActionPanel, BULK_PANEL_ID, intoPanel } from "../fragments/action-panel.tsx";
import { Layout, type PageChrome } from "../layout.tsx";

export interface FailuresPageProps extends PageChrome {
  groups: FailureGroupJson[];
  total: number;
  truncated: boolean;
  now: Date;
}

const bulkHref = (action: string, name: string, status?: string) =>
  `/tasks/bulk?${new URLSearchParams({ action, name, ...(status ? { status } : {}) })}`;

export function FailuresPage({ groups, total, truncated, now, actions }: FailuresPageProps) {
  return (
    <Layout title="Failures" nav="failures" now={now} actions={actions}>
      <div class="page-head">
        <h1>Failures</h1>
        <a class="button" href="/tasks?status=failed">
          All failed tasks
        </a>
      </div>
      <p class="muted" safe>
        {`${formatCount(total)}${truncated ? "+" : ""} ${total === 1 ? "task" : "tasks"} failed in the last 24 hours, grouped by name and reason.`}
      </p>
      <ActionPanel id={BULK_PANEL_ID} />
      <div class="table-wrap">
        <table class="failure-groups stack-on-phone">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Reason</th>
              <th scope="col" class="num">Failed</th>
              <th scope="col">Last</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {groups.length === 0 && (
              <tr>
                <td colspan="5" class="empty">
                  No task failed in the last 24 hours.
                </td>
              </tr>
            )}
            {groups.map((g) => (
              <tr class="failure-group">
                <td data-label="Name" class="cell-name">
                  <a href={`/tasks?${new URLSearchParams({ status: "failed", name: g.name })}`} class="task-name" safe>
                    {g.name}
                  </a>
                </td>
                <td data-label="Reason" class="failure-error mono" safe>
                  {g.failure_reason ?? "—"}
                </td>
                <td data-label="Failed" class="num" safe>
                  {formatCount(g.count)}
                </td>
                <td data-label="Last">
                  <RelativeTime at={new Date(g.last_failed_at)} now={now} />
                </td>
                <td data-label="Actions" class="row-actions">
                  <a class="button" href={bulkHref("retry", g.name, "failed")} hx-get={bulkHref("retry", g.name, "failed")} {...intoPanel(BULK_PANEL_ID)} title="Retry the failed tasks of this name (counted first)">
                    Retry all
                  </a>
                  <a class="button subtle" href={bulkHref("cancel", g.name)} hx-get={bulkHref("cancel", g.name)} {...intoPanel(BULK_PANEL_ID)} title="Cancel the unfinished tasks of this name (counted first)">
                    Cancel all
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p class="muted footnote">Retry all and Cancel all act on every task of that name, whatever its reason; a confirmation counts them before anything changes.</p>
    </Layout>
  );
}
