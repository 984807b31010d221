/**
 * Each attempt of a task, newest first: worker, status, exit code, timing, error
 * and the tails of its stdout and stderr (monospace, scrollable).
 */
import type { TaskAttemptRow } from "../../src/db/schema/index.ts";
import { StatusBadge } from "../components/status-badge.tsx";
import { RelativeTime } from "../components/time.tsx";
import { formatDuration } from "../format.ts";

export function TaskAttempts({ attempts, now }: { attempts: TaskAttemptRow[]; now: Date }) {
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
            <span class="spacer"></span>
            <RelativeTime at={a.startedAt ?? a.pickedAt} now={now} absolute />
          </header>
          {a.error !== null && (
            <p class="error-box mono" safe>
              {a.error}
            </p>
          )}
          <Output label="stdout" text={a.stdoutTail} finished={a.finishedAt !== null} />
          <Output label="stderr" text={a.stderrTail} finished={a.finishedAt !== null} />
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

function duration(a: TaskAttemptRow): string {
  if (a.startedAt === null) return "not started";
  if (a.finishedAt === null) return "running";
  return `ran ${formatDuration(a.finishedAt.getTime() - a.startedAt.getTime())}`;
}
