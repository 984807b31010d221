/**
 * The top of a task's page: name, status, actions and every field of the task.
 * Sent again over the stream whenever the task changes.
 */
import type { Children } from "@kitajs/html";
import type { TaskRow } from "../../src/db/schema/index.ts";
import { attemptText } from "../../src/core/attempt.ts";
import { StatusBadge } from "../components/status-badge.tsx";
import { RelativeTime } from "../components/time.tsx";
import { formatDuration } from "../format.ts";
import { scheduleTasksUrl } from "./schedule-rows.tsx";
import { TaskActions } from "./task-actions.tsx";
import { LabelList } from "../components/label-list.tsx";

/** Reasons that mean no live worker may take the task (core/waiting-reason.ts). */
const noWorker = (reason: string) => reason.startsWith("no live worker") || reason.startsWith("its worker ");

/** `waitingReason`: why a scheduled task is not running yet (core/waiting-reason.ts), when something holds it back. */
/** `failureReason`: the last attempt's reason in one line (core/failure-reason.ts), shown instead of the bare error. */
export function TaskSummary({
  task: t,
  now,
  notice,
  waitingReason = null,
  failureReason = null,
}: {
  task: TaskRow;
  now: Date;
  notice?: string;
  waitingReason?: string | null;
  failureReason?: string | null;
}) {
  const env = Object.entries(t.env ?? {});
  return (
    <>
      {/* Head and metadata apart: on a phone, a failed task's page shows its attempts (output) between them. */}
      <div class="task-head">
      <div class="title-row">
        <h1 class="task-title" safe>
          {t.name}
        </h1>
        <StatusBadge status={t.status} />
        <TaskActions task={t} />
      </div>
      {notice !== undefined && (
        <p class="notice" role="alert" safe>
          {notice}
        </p>
      )}
      {waitingReason !== null && (
        // No worker may take it at all (placement, docs/placement.md): a warning, not just a note.
        <p class={noWorker(waitingReason) ? "waiting-reason warn" : "waiting-reason"} role={noWorker(waitingReason) ? "alert" : undefined}>
          Waiting: <span safe>{waitingReason}</span>
        </p>
      )}
      {t.error !== null && (
        <p class="error-box mono failure-reason" safe>
          {failureReason ?? t.error}
        </p>
      )}
      </div>
      <div class="task-meta">
      <h2 class="sr-only">Command</h2>
      <pre class="command" safe>
        {t.command}
      </pre>
      <dl class="fields">
        <Field label="ID" wide>
          <span class="mono" safe>
            {t.id}
          </span>
        </Field>
        <Field label="Queue">
          <span class="queue" safe>
            {t.queue}
          </span>
        </Field>
        <Field label="Priority">{t.priority}</Field>
        <Field label="Attempt">
          <span safe>{attemptText(t)}</span>
        </Field>
        <Field label="Worker">{t.worker === null ? <span class="muted">—</span> : <span safe>{t.worker}</span>}</Field>
        <Field label="Exit code">{t.exitCode === null ? <span class="muted">—</span> : t.exitCode}</Field>
        <Field label="Run at">
          <RelativeTime at={t.runAt} now={now} absolute />
        </Field>
        <Field label="Created">
          <RelativeTime at={t.createdAt} now={now} absolute />
        </Field>
        <Field label="Picked">
          <RelativeTime at={t.pickedAt} now={now} absolute />
        </Field>
        <Field label="Started">
          <RelativeTime at={t.startedAt} now={now} absolute />
        </Field>
        <Field label="Finished">
          <RelativeTime at={t.finishedAt} now={now} absolute />
        </Field>
        <Field label="Ran for">
          {t.startedAt !== null && t.finishedAt !== null ? <span safe>{formatDuration(t.finishedAt.getTime() - t.startedAt.getTime())}</span> : <span class="muted">—</span>}
        </Field>
        <Field label="Timeout">{t.timeoutMs === null ? <span class="muted">none</span> : <span safe>{formatDuration(t.timeoutMs)}</span>}</Field>
        <Field label="Retry backoff">
          <span safe>{`${formatDuration(t.backoffMs)} × ${t.backoffFactor} per retry, at most ${formatDuration(t.backoffMaxMs)}`}</span>
        </Field>
        <Field label="Idempotency key">
          {t.idempotencyKey === null ? <span class="muted">—</span> : <span class="mono" safe>{t.idempotencyKey}</span>}
        </Field>
        <Field label="Selector">
          <LabelList labels={t.selector} empty="any worker" />
        </Field>
        <Field label="Labels">
          <LabelList labels={t.labels} />
        </Field>
        {t.fanout !== null && (
          <Field label="Fanout">
            <span safe>{`${t.fanout === "all" ? "every matching worker" : `${t.fanout} workers`}; retries on ${t.fanoutRetry === "any" ? "any matching worker" : "the same worker"}`}</span>
          </Field>
        )}
        {t.parentId !== null && (
          <Field label="Fanout parent">
            <a href={`/tasks/${t.parentId}`} class="mono" safe>
              {t.parentId}
            </a>
          </Field>
        )}
        {t.pinnedWorker !== null && (
          <Field label="Pinned to">
            <span safe>{t.pinnedWorker}</span>
          </Field>
        )}
        <Field label="Schedule">
          {t.scheduleId === null ? (
            <span class="muted">—</span>
          ) : (
            <a href={scheduleTasksUrl(t.scheduleId)} class="mono" title="Every task this schedule made" safe>
              {t.scheduleId}
            </a>
          )}
        </Field>
      </dl>
      <h2 class="section-title">Environment</h2>
      {env.length === 0 ? (
        <p class="muted">No variables added.</p>
      ) : (
        <div class="table-wrap">
          <table class="compact env">
            <tbody>
              {env.map(([name, value]) => (
                <tr>
                  <th scope="row" class="mono" safe>
                    {name}
                  </th>
                  <td class="mono" safe>
                    {value}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      </div>
    </>
  );
}

function Field({ label, wide = false, children }: { label: string; wide?: boolean; children?: Children }) {
  return (
    <div class={wide ? "field field-wide" : "field"}>
      <dt safe>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}
