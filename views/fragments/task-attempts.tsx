/**
 * Each attempt of a task, newest first: worker, status, exit code, timing, error
 * and its output: the stored log, followed live while it runs (attempt-log.tsx),
 * or, for attempts without a stored log, the tails of stdout and stderr.
 */
import type { TaskAttemptRow } from "../../src/db/schema/index.ts";
import type { AttemptLogView } from "../../src/scheduler/dashboard/attempt-logs.ts";
import { AttemptLog } from "./attempt-log.tsx";
import { StatusBadge } from "../components/status-badge.tsx";
import { RelativeTime } from "../components/time.tsx";
import { formatDuration } from "../format.ts";

export interface TaskAttemptsProps {
  attempts: TaskAttemptRow[];
  now: Date;
  /** Stored logs of the newest attempts, by attempt number. */
  logs?: Map<number, AttemptLogView>;
}

export function TaskAttempts({ attempts, now, logs }: TaskAttemptsProps) {
  if (attempts.length === 0) return <p class="muted">Not attempted yet.</p>;
  return (
    <div class="attempts">
      {[...attempts].reverse().map((a) => (
        <article class="attempt" id={`attempt-${a.attempt}`}>
          <header class="attempt-head">
            <h3>Attempt {a.attempt}</h3>
            <StatusBadge status={a.status} />
            <span>
              worker <strong safe>{a.worker ?? "—"}</strong>
            </span>
            <span>exit code {a.exitCode ?? "—"}</span>
            <span safe>{duration(a)}</span>
            {a.spawnedAt !== null && (
              <span class="muted" title="the worker's own clock of the spawn, after the coordinator picked the task" safe>
                {`spawned ${formatDuration(a.spawnedAt.getTime() - a.pickedAt.getTime())} after pick`}
              </span>
            )}
            <span class="spacer"></span>
            <RelativeTime at={a.startedAt ?? a.pickedAt} now={now} absolute />
          </header>
          {a.error !== null && (
            <p class="error-box mono" safe>
              {a.error}
            </p>
          )}
          {logView(a, logs) ? (
            <AttemptLog taskId={a.taskId} attempt={a.attempt} log={logView(a, logs)!} finished={a.finishedAt !== null} />
          ) : (
            <>
              <Output label="stdout" text={a.stdoutTail} finished={a.finishedAt !== null} />
              <Output label="stderr" text={a.stderrTail} finished={a.finishedAt !== null} />
            </>
          )}
        </article>
      ))}
    </div>
  );
}

/** Workers report output when an attempt ends; until then there is none to show. */
function Output({ label, text, finished }: { label: string; text: string | null; finished: boolean }) {
  return (
    <section class="output">
      <h4 safe>{label}</h4>
      {text === null || text === "" ? (
        <p class="muted">{finished ? "empty" : "reported when the attempt ends"}</p>
      ) : (
        <pre class="output-text" tabindex="0" safe>
          {text}
        </pre>
      )}
    </section>
  );
}

/** The stored log to show: one with output stored, or an empty one for a running attempt (it fills live); else the tails. */
function logView(a: TaskAttemptRow, logs: Map<number, AttemptLogView> | undefined): AttemptLogView | null {
  const log = logs?.get(a.attempt);
  if (!log) return null;
  if (log.stored) return log;
  return a.finishedAt === null && !a.stdoutTail && !a.stderrTail ? log : null;
}

function duration(a: TaskAttemptRow): string {
  if (a.startedAt === null) return "not started";
  if (a.finishedAt === null) return "running";
  return `ran ${formatDuration(a.finishedAt.getTime() - a.startedAt.getTime())}`;
}
