/**
 * Cancel and Retry for one task, following the API's rules (core/task-status.ts):
 * cancel while it has not finished, retry once it failed or was cancelled. A
 * button that does not apply is shown disabled, with the reason as its tooltip.
 * Plain forms, so they work without JavaScript; with htmx they post in place and
 * the answer (a confirmation, a result) fills the page's action panel.
 */
import { canCancel, canRetry, type TaskStatus } from "../../src/core/task-status.ts";
import type { TaskRow } from "../../src/db/schema/index.ts";
import { intoPanel, TASK_ACTION_PANEL_ID } from "./action-panel.tsx";

export function TaskActions({ task }: { task: TaskRow }) {
  const status = task.status as TaskStatus;
  const cancellable = canCancel(status);
  const retriable = canRetry(status);
  return (
    <div class="actions">
      <form method="post" action={`/tasks/${task.id}/cancel`} hx-post={`/tasks/${task.id}/cancel`} {...intoPanel(TASK_ACTION_PANEL_ID)}>
        <button type="submit" class="button danger" disabled={!cancellable} title={cancellable ? "Stop it; a running attempt is killed" : `Cannot cancel: it is ${status}`}>
          Cancel
        </button>
      </form>
      <form method="post" action={`/tasks/${task.id}/retry`} hx-post={`/tasks/${task.id}/retry`} {...intoPanel(TASK_ACTION_PANEL_ID)}>
        <button type="submit" class="button" disabled={!retriable} title={retriable ? "Run it again now" : "Only failed or cancelled tasks can be retried"}>
          Retry
        </button>
      </form>
    </div>
  );
}
