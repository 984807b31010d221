/**
 * Asked before cancelling a task that is running: its attempt will be killed. A
 * page of its own without JavaScript; with htmx, the same panel is swapped into
 * the task page's action panel, and its form posts there.
 */
import type { TaskRow } from "../../src/db/schema/index.ts";
import { ActionPanel, closesPanel, IN_PANEL, TASK_ACTION_PANEL_ID } from "../fragments/action-panel.tsx";
import { Layout, type PageChrome } from "../layout.tsx";

export function ConfirmCancelPage({ task, now, actions }: { task: TaskRow; now: Date } & PageChrome) {
  return (
    <Layout title={`Cancel ${task.name}`} nav="tasks" now={now} actions={actions}>
      <p class="crumbs">
        <a href="/tasks">Tasks</a> / <a href={`/tasks/${task.id}`} safe>{task.name}</a>
      </p>
      <ActionPanel id={TASK_ACTION_PANEL_ID}>
        <ConfirmCancelPanel task={task} heading="h1" />
      </ActionPanel>
    </Layout>
  );
}

/** The question and its form; h1 as a page of its own, h2 inside the task page. */
export function ConfirmCancelPanel({ task, heading = "h2" }: { task: TaskRow; heading?: "h1" | "h2" }) {
  const title = "Cancel a running task?";
  return (
    <section class="panel bulk-confirm cancel-confirm">
      {heading === "h1" ? <h1 class="bulk-title">{title}</h1> : <h2 class="bulk-title">{title}</h2>}
      <p class="bulk-count">
        <strong safe>{task.name}</strong> is <span safe>{task.status}</span> on <span safe>{task.worker ?? "a worker"}</span>: cancelling kills its attempt.
      </p>
      <form method="post" action={`/tasks/${task.id}/cancel`} class="actions" hx-post={`/tasks/${task.id}/cancel`} {...IN_PANEL}>
        <input type="hidden" name="confirm" value="1" />
        <button type="submit" class="button danger">
          Cancel it
        </button>
        <a href={`/tasks/${task.id}`} class="button subtle" {...(heading === "h2" ? closesPanel(`/tasks/${task.id}`, TASK_ACTION_PANEL_ID) : {})}>
          Keep it running
        </a>
      </form>
    </section>
  );
}
