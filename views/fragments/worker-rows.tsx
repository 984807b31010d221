/**
 * The rows of the workers table: the page renders them and the stream sends them
 * again (the whole body) whenever workers change or heartbeats move on.
 */
import { attributeText } from "../attribute-text.ts";
import { plural } from "../../src/core/plural.ts";
import type { WorkerRow } from "../../src/db/schema/index.ts";
import type { WorkerTask } from "../../src/db/queries/list-worker-tasks.ts";
import { StatusBadge } from "../components/status-badge.tsx";
import { Age, RelativeTime } from "../components/time.tsx";
import { formatDuration } from "../format.ts";
import { LabelList } from "../components/label-list.tsx";
import { intoPanel, WORKER_NOTICE_ID } from "./action-panel.tsx";

export const WORKER_ROWS_ID = "worker-rows";

export function WorkerRows({ workers, now, tasks = new Map() }: { workers: WorkerRow[]; now: Date; tasks?: Map<string, WorkerTask[]> }) {
  if (workers.length === 0) {
    return (
      <tr>
        <td colspan="9" class="empty">
          No worker has connected yet. Start one with <code>taskflow --role=worker</code>.
        </td>
      </tr>
    );
  }
  return (
    <>
      {workers.map((w) => (
        <WorkerRowView worker={w} now={now} tasks={tasks.get(w.id) ?? []} />
      ))}
    </>
  );
}

/** One worker's row; `oob` when an action's answer replaces it before the stream does. */
export function WorkerRowView({ worker: w, now, tasks, oob = false }: { worker: WorkerRow; now: Date; tasks: WorkerTask[]; oob?: boolean }) {
  const dead = w.status === "dead";
  const left = workerStatus(w) === "left";
  const load = w.concurrency > 0 ? Math.min(1, w.running / w.concurrency) : 0;
  return (
    <tr id={`worker-${w.id}`} class={dead ? "worker-row is-dead" : "worker-row"} data-status={workerStatus(w)} hx-swap-oob={oob ? "true" : undefined}>
      <td data-label="Name">
        <strong class="token" title={attributeText(w.name)} safe>
          {w.name}
        </strong>
      </td>
      <td data-label="Host" safe>
        {w.host}
      </td>
      <td data-label="Status">
        <StatusBadge status={workerStatus(w)} />
        <WorkerActions worker={w} />
      </td>
      <td data-label={left ? "Left" : "Heartbeat"}>{dead ? <RelativeTime at={w.stoppedAt ?? w.lastHeartbeatAt} now={now} /> : <Age since={w.lastHeartbeatAt} now={now} />}</td>
      <td data-label="Running" class="num">
        <span class="load" title={`${w.running} of ${plural(w.concurrency, "slot")} busy`}>
          <span class="load-text" safe>
            {`${w.running} / ${w.concurrency}`}
          </span>
          <span class="load-bar" aria-hidden="true">
            <span style={`width:${Math.round(load * 100)}%`}></span>
          </span>
        </span>
        <WorkerTaskLinks tasks={tasks} />
      </td>
      <td data-label="Queues">
        {w.queues.map((q) => (
          <span class="queue" safe>
            {q}
          </span>
        ))}
      </td>
      <td data-label="Labels">
        <LabelList labels={w.labels ?? {}} />
      </td>
      <td data-label="Version" safe>
        {w.version}
      </td>
      <td data-label="Uptime">
        {dead ? formatDuration((w.stoppedAt ?? w.lastHeartbeatAt).getTime() - w.startedAt.getTime()) : <Age since={w.startedAt} now={now} />}
      </td>
    </tr>
  );
}

/** Links to the tasks a worker runs now (the first few; the count says the rest). */
const TASK_LINKS_SHOWN = 5;

export function WorkerTaskLinks({ tasks }: { tasks: WorkerTask[] }) {
  if (tasks.length === 0) return <></>;
  const shown = tasks.slice(0, TASK_LINKS_SHOWN);
  return (
    <ul class="worker-tasks">
      {shown.map((t) => (
        <li>
          <a href={`/tasks/${t.id}`} class="task-name" title={`${t.status}: ${t.id}`} safe>
            {t.name}
          </a>
        </li>
      ))}
      {tasks.length > shown.length && <li class="muted" safe>{`+${tasks.length - shown.length} more`}</li>}
    </ul>
  );
}

/** What the row says: a session that drained and exited cleanly has `left`, one that went silent is `dead`. */
export function workerStatus(w: WorkerRow): string {
  return w.status === "dead" && w.stopReason === "left" ? "left" : w.status;
}

/**
 * Drain (stop taking tasks, finish the running ones) or Resume, for live sessions
 * only: plain form posts, or with htmx a post in place whose result shows above the table.
 */
export function WorkerActions({ worker: w }: { worker: WorkerRow }) {
  if (w.status === "dead") return <></>;
  const drain = w.status === "alive";
  const action = `/workers/${w.id}/${drain ? "drain" : "resume"}`;
  return (
    <form method="post" action={action} class="worker-action" hx-post={action} {...intoPanel(WORKER_NOTICE_ID)}>
      <button type="submit" class="button subtle" title={drain ? "Take no new tasks; the running ones finish" : "Take tasks again"}>
        {drain ? "Drain" : "Resume"}
      </button>
    </form>
  );
}
