/**
 * Times as people read them: relative text ("3 min ago", ticking in the browser)
 * with the absolute UTC time in the tooltip and the machine-readable datetime
 * (views/client/live-times.js shows them in the browser's zone when asked).
 */
import { absoluteTime, ageText, countdownText, relativeTime } from "../format.ts";

/**
 * "3 min ago"; `absolute` also prints the UTC time below it. A null time is a dash.
 * `until`: a countdown to a due time ("in 8 s"), which says "due now" once the time
 * has come rather than counting up again ("3 s ago") until the next one is known.
 */
export function RelativeTime({ at, now, absolute = false, until = false }: { at: Date | null; now: Date; absolute?: boolean; until?: boolean }) {
  if (at === null) return <span class="muted">—</span>;
  const abs = absoluteTime(at);
  return (
    <span class="when">
      <time datetime={at.toISOString()} title={abs} data-rel={until ? "until" : "ago"} safe>
        {until ? countdownText(at, now) : relativeTime(at, now)}
      </time>
      {absolute && (
        <small class="abs" data-abs={at.toISOString()} safe>
          {abs}
        </small>
      )}
    </span>
  );
}

/** An age that keeps growing ("4 s"), like time since the last heartbeat. */
export function Age({ since, now }: { since: Date; now: Date }) {
  return (
    <time datetime={since.toISOString()} title={absoluteTime(since)} data-rel="age" safe>
      {ageText(since, now)}
    </time>
  );
}
