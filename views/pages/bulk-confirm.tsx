/**
 * The confirmation of a bulk cancel or retry from the task list (or the Failures
 * view): how many tasks it will change, counted by a dry run of the same action,
 * and a form that does it: a page of its own without JavaScript, a fragment in
 * the list's panel with htmx.
 */
import { attributeText } from "../attribute-text.ts";
import { ActionPanel, BULK_PANEL_ID, closesPanel, IN_PANEL } from "../fragments/action-panel.tsx";
import { Layout, type PageChrome } from "../layout.tsx";

export type BulkVerb = "cancel" | "retry";

export interface BulkConfirmPageProps extends PageChrome {
  action: BulkVerb;
  /** The list's query parameters that select the tasks (carried by the form). */
  params: [string, string][];
  /** Tasks the action would change, and matching ones it leaves alone. */
  changed: number;
  skipped: number;
  /** Where "Back" goes: the list with these filters. */
  backHref: string;
  now: Date;
}

const PAST: Record<BulkVerb, string> = { cancel: "cancelled", retry: "retried" };
const NOT_APPLICABLE: Record<BulkVerb, string> = { cancel: "have already finished", retry: "are neither failed nor cancelled" };

export function BulkConfirmPage({ now, actions, ...panel }: BulkConfirmPageProps) {
  return (
    <Layout title={`${panel.action === "cancel" ? "Cancel" : "Retry"} tasks`} nav="tasks" now={now} actions={actions}>
      <p class="crumbs">
        <a href={panel.backHref}>Tasks</a> /
      </p>
      <ActionPanel id={BULK_PANEL_ID}>
        <BulkConfirmPanel {...panel} heading="h1" />
      </ActionPanel>
    </Layout>
  );
}

export interface BulkConfirmPanelProps extends Omit<BulkConfirmPageProps, "now" | "actions"> {
  /** h1 as a page of its own, h2 inside the list's panel. */
  heading?: "h1" | "h2";
}

/**
 * The confirmation itself: the whole page's body, or the fragment an htmx request
 * gets in the list's panel. Its form posts into the panel it sits in (htmx) or
 * navigates back to the list (no JavaScript).
 */
export function BulkConfirmPanel({ action, params, changed, skipped, backHref, heading = "h2" }: BulkConfirmPanelProps) {
  const verb = action === "cancel" ? "Cancel" : "Retry";
  const title = changed === 0 ? `No task to ${action}` : `${verb} ${tasks(changed)}?`;
  return (
    <section class="panel bulk-confirm">
      {heading === "h1" ? (
        <h1 class="bulk-title" safe>
          {title}
        </h1>
      ) : (
        <h2 class="bulk-title" safe>
          {title}
        </h2>
      )}
      <p class="bulk-count" data-changed={String(changed)} safe>
        {changed === 0
          ? `None of the tasks these filters select can be ${PAST[action]}.`
          : `This will ${action} ${tasks(changed)}${action === "cancel" ? "; running attempts are killed" : ", each with a fresh retry budget"}.`}
      </p>
      {skipped > 0 && (
        <p class="muted" safe>
          {`${tasks(skipped)} also match but ${NOT_APPLICABLE[action]}: they are left alone.`}
        </p>
      )}
      <dl class="fields">
        {params.map(([name, value]) => (
          <div class="field">
            <dt safe>{name}</dt>
            <dd class="mono" safe>
              {value}
            </dd>
          </div>
        ))}
        {params.length === 0 && (
          <div class="field">
            <dt>filters</dt>
            <dd>none: every task</dd>
          </div>
        )}
      </dl>
      <form method="post" action="/tasks/bulk" class="actions" hx-post="/tasks/bulk" {...IN_PANEL}>
        <input type="hidden" name="action" value={action} />
        {params.map(([name, value]) => (
          <input type="hidden" name={attributeText(name)} value={attributeText(value)} />
        ))}
        {changed > 0 && (
          <button type="submit" class={action === "cancel" ? "button danger" : "button primary"} safe>
            {`${verb} ${tasks(changed)}`}
          </button>
        )}
        <a href={backHref} class="button subtle" {...(heading === "h2" ? closesPanel(backHref, BULK_PANEL_ID) : {})}>
          Back
        </a>
      </form>
    </section>
  );
}

const tasks = (n: number) => `${n.toLocaleString("en-US")} ${n === 1 ? "task" : "tasks"}`;

/** The line the list shows after a bulk action (`bulk=cancel&changed=N` in its URL). */
export function BulkDoneNotice({ action, changed }: { action: BulkVerb; changed: number }) {
  return (
    <p class="notice" role="status" safe>
      {`${changed.toLocaleString("en-US")} ${changed === 1 ? "task" : "tasks"} ${PAST[action]}.`}
    </p>
  );
}
