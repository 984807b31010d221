/**
 * The confirmation of a bulk cancel or retry from the task list (or the Failures
 * view): how many tasks it will change, counted by a dry run of the same action,
 * and a plain form that does it, so it works without JavaScript.
 */
import { attributeText } from "../attribute-text.ts";
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

export function BulkConfirmPage({ action, params, changed, skipped, backHref, now, actions }: BulkConfirmPageProps) {
  const verb = action === "cancel" ? "Cancel" : "Retry";
  const tasks = (n: number) => `${n.toLocaleString("en-US")} ${n === 1 ? "task" : "tasks"}`;
  return (
    <Layout title={`${verb} tasks`} nav="tasks" now={now} actions={actions}>
      <p class="crumbs">
        <a href={backHref}>Tasks</a> /
      </p>
      <section class="panel bulk-confirm">
        <h1 safe>{changed === 0 ? `No task to ${action}` : `${verb} ${tasks(changed)}?`}</h1>
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
        <form method="post" action="/tasks/bulk" class="actions">
          <input type="hidden" name="action" value={action} />
          {params.map(([name, value]) => (
            <input type="hidden" name={attributeText(name)} value={attributeText(value)} />
          ))}
          {changed > 0 && (
            <button type="submit" class={action === "cancel" ? "button danger" : "button primary"} safe>
              {`${verb} ${tasks(changed)}`}
            </button>
          )}
          <a href={backHref} class="button subtle">
            Back
          </a>
        </form>
      </section>
    </Layout>
  );
}

/** The line the list shows after a bulk action (`bulk=cancel&changed=N` in its URL). */
export function BulkDoneNotice({ action, changed }: { action: BulkVerb; changed: number }) {
  return (
    <p class="notice" role="status" safe>
      {`${changed.toLocaleString("en-US")} ${changed === 1 ? "task" : "tasks"} ${PAST[action]}.`}
    </p>
  );
}
