/**
 * Where an enhanced action form (htmx) shows its confirmation and its result in
 * place: an empty panel on the page the action starts from, filled by the
 * fragment the action route answers to an htmx request. Without JavaScript the
 * same forms navigate to the confirmation page (which wraps its form in the same
 * panel) and back.
 */
import type { Children } from "@kitajs/html";

/** The task list's and the Failures view's bulk confirmation and result. */
export const BULK_PANEL_ID = "bulk-panel";
/** A task page's cancel confirmation and action results (outside its live summary, which the stream replaces). */
export const TASK_ACTION_PANEL_ID = "task-action-panel";
/** The workers page's drain and resume results. */
export const WORKER_NOTICE_ID = "worker-notice";

/** Forms inside a panel swap their answer into it (the panel, wherever it is on the page). */
export const IN_PANEL = { "hx-target": "closest .action-panel", "hx-swap": "innerHTML" } as const;
/** A form or link outside the panel swaps its answer into the panel with this id. */
export const intoPanel = (id: string) => ({ "hx-target": `#${id}`, "hx-swap": "innerHTML" }) as const;

/**
 * A "never mind" link inside a panel swapped into a page: with htmx it closes the panel
 * in place (the page at `href` has the same panel, empty, which replaces this one);
 * without JavaScript it goes to `href`.
 */
export const closesPanel = (href: string, id: string) =>
  ({ "hx-get": href, "hx-select": `#${id}`, "hx-target": "closest .action-panel", "hx-swap": "outerHTML" }) as const;

export function ActionPanel({ id, children }: { id: string; children?: Children }) {
  return (
    <div id={id} class="action-panel" aria-live="polite">
      {children}
    </div>
  );
}

/** What an action did, in one sentence. */
export function ActionDone({ message }: { message: string }) {
  return (
    <p class="notice action-done" role="status" safe>
      {message}
    </p>
  );
}

/** Why an action was refused (the task finished meanwhile, the worker left). */
export function ActionRefused({ message }: { message: string }) {
  return (
    <p class="error-box action-refused" role="alert" safe>
      {message}
    </p>
  );
}
