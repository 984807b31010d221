/** One task: every field, its actions, its timeline and its attempts with their output, all live. */
import type { TaskDetail } from "../../src/db/queries/get-task.ts";
import type { AttemptLogView } from "../../src/scheduler/dashboard/attempt-logs.ts";
import { TaskAttempts } from "../fragments/task-attempts.tsx";
import { failureReason } from "../../src/core/failure-reason.ts";
import { TaskSummary } from "../fragments/task-summary.tsx";
import { waitingReason } from "../../src/core/waiting-reason.ts";
import { TaskTimeline } from "../fragments/task-timeline.tsx";
import { FanoutChildren } from "../fragments/fanout-children.tsx";
import { ActionPanel, TASK_ACTION_PANEL_ID } from "../fragments/action-panel.tsx";
import { Layout, type PageChrome } from "../layout.tsx";
import { TASK_DETAIL_EVENTS } from "../live-events.ts";

export interface TaskDetailPageProps extends PageChrome {
  detail: TaskDetail;
  /** Stored logs of the newest attempts. */
  logs?: Map<number, AttemptLogView>;
  now: Date;
  streamUrl: string;
  /** A message about the last action (e.g. why a cancel was refused). */
  notice?: string;
}

export const TASK_GONE_ID = "task-gone";

/** The reason of the task's current attempt, when it ended with an error: its error, or its last line of stderr. */
export function taskFailureReason(detail: TaskDetail): string | null {
  if (detail.task.error === null) return null;
  const last = detail.attempts.find((a) => a.attempt === detail.task.attempt);
  return failureReason(last?.error ?? detail.task.error, last?.stderrTail ?? null);
}

/** Sent by the task's stream when the task no longer exists; the page keeps its last known state below it. */
export function TaskGoneNotice() {
  return (
    <div id={TASK_GONE_ID} hx-swap-oob="true">
      <p class="error-box task-gone" role="alert" data-task-gone>
        <strong>This task no longer exists.</strong> It was deleted or pruned, or taskflow restarted with in-memory storage; below is what it last showed. <a href="/tasks">All tasks</a>
      </p>
    </div>
  );
}

export function TaskDetailPage({ detail, logs, now, streamUrl, notice, actions }: TaskDetailPageProps) {
  return (
    <Layout title={detail.task.name} nav="tasks" now={now} actions={actions}>
      <div class="live task-page" hx-ext="sse" sse-connect={streamUrl}>
        <p class="crumbs">
          <a href="/tasks">Tasks</a> /
        </p>
        <div id={TASK_GONE_ID}></div>
        <div hidden sse-swap={TASK_DETAIL_EVENTS.gone} hx-swap="none"></div>
        <section class="panel" id="task-summary" sse-swap={TASK_DETAIL_EVENTS.summary}>
          <TaskSummary task={detail.task} now={now} notice={notice} waitingReason={detail.waiting ? waitingReason(detail.waiting) : null} failureReason={taskFailureReason(detail)} />
        </section>
        {/* Outside the summary: the stream replaces the summary, not a confirmation or a result shown here. */}
        <ActionPanel id={TASK_ACTION_PANEL_ID} />
        {detail.task.fanout !== null && (
          <section class="panel" aria-labelledby="h-children">
            <h2 id="h-children">Children</h2>
            <FanoutChildren tasks={detail.children} now={now} />
          </section>
        )}
        <div class="grid">
          <section class="panel task-timeline-panel" aria-labelledby="h-timeline">
            <h2 id="h-timeline">Timeline</h2>
            <div sse-swap={TASK_DETAIL_EVENTS.timeline}>
              <TaskTimeline events={detail.events} now={now} />
            </div>
          </section>
          <section class="panel task-attempts-panel" aria-labelledby="h-attempts">
            <h2 id="h-attempts">Attempts</h2>
            <div sse-swap={TASK_DETAIL_EVENTS.attempts}>
              <TaskAttempts attempts={detail.attempts} now={now} logs={logs} />
            </div>
          </section>
        </div>
      </div>
    </Layout>
  );
}
