/**
 * One attempt's output on the task page: tabs for both streams, stdout or stderr
 * (radio buttons and CSS, so they work without JavaScript), a Download link to the
 * whole stored log, a mark when output was not kept, and the log itself. While the
 * attempt runs, the log element names its live stream (data-follow), which
 * views/client/live-log.js appends to, keeping the newest line in view unless the
 * reader scrolled up. The log's HTML is built by views/ansi-html.ts, which escapes
 * every character of the output.
 */
import type { AttemptLogView } from "../../src/scheduler/dashboard/attempt-logs.ts";
import { formatByteCount } from "../format.ts";
import { LIVE_PATHS } from "../live-events.ts";

export interface AttemptLogProps {
  taskId: string;
  attempt: number;
  log: AttemptLogView;
  finished: boolean;
}

export function AttemptLog({ taskId, attempt, log, finished }: AttemptLogProps) {
  const name = `log-tab-${attempt}`;
  const base = `/api/tasks/${taskId}/attempts/${attempt}/log`;
  const safeLogHtml = log.html;
  return (
    <section class="log-view" aria-label={`output of attempt ${attempt}`}>
      <div class="log-bar">
        {(["both", "stdout", "stderr"] as const).map((tab) => (
          <label class={`log-tab log-tab-${tab}`}>
            <input type="radio" name={name} value={tab} checked={tab === "both"} />
            {tab === "both" ? "both" : tab}
          </label>
        ))}
        <span class="spacer"></span>
        <a class="button" href={`${base}?download=1`} download="">
          Download
        </a>
      </div>
      {log.droppedBytes > 0 && (
        <p class="log-dropped" safe>
          {`${formatByteCount(log.droppedBytes)} of earlier output not kept`}
        </p>
      )}
      {log.start > 0 && (
        <p class="muted" safe>
          {`Showing the newest output; the first ${formatByteCount(log.start)} are in the download.`}
        </p>
      )}
      <pre
        class="log"
        tabindex="0"
        data-follow={finished ? undefined : `${LIVE_PATHS.attemptLog(taskId, attempt)}?offset=${log.end}`}
        data-empty={finished ? "no output" : "waiting for output…"}
      >
        {safeLogHtml}
      </pre>
    </section>
  );
}
