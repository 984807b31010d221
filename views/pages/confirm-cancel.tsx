/** Asked before cancelling a task that is running: its attempt will be killed. A plain form, no JavaScript needed. */
import type { TaskRow } from "../../src/db/schema/index.ts";
import { Layout, type PageChrome } from "../layout.tsx";

export function ConfirmCancelPage({ task, now, actions }: { task: TaskRow; now: Date } & PageChrome) {
  return (
    <Layout title={`Cancel ${task.name}`} nav="tasks" now={now} actions={actions}>
      <p class="crumbs">
        <a href="/tasks">Tasks</a> / <a href={`/tasks/${task.id}`} safe>{task.name}</a>
      </p>
      <section class="panel bulk-confirm">
        <h1>Cancel a running task?</h1>
        <p class="bulk-count">
          <strong safe>{task.name}</strong> is <span safe>{task.status}</span> on <span safe>{task.worker ?? "a worker"}</span>: cancelling kills its attempt.
        </p>
        <form method="post" action={`/tasks/${task.id}/cancel`} class="actions">
          <input type="hidden" name="confirm" value="1" />
          <button type="submit" class="button danger">
            Cancel it
          </button>
          <a href={`/tasks/${task.id}`} class="button subtle">
            Keep it running
          </a>
        </form>
      </section>
    </Layout>
  );
}
