/** Times and durations as tables show them: short, human, and in UTC. */

/**
 * A duration in the two largest units.
 * @example humanDuration(95_000) // "1m35s"
 */
export function humanDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  const units: [string, number][] = [["d", 86400], ["h", 3600], ["m", 60], ["s", 1]];
  const parts: string[] = [];
  let rest = s;
  for (const [u, size] of units) {
    if (rest >= size || parts.length > 0) {
      parts.push(`${Math.floor(rest / size)}${u}`);
      rest %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.join("");
}

/** How long ago (or, for a future time, "in …"). */
export function age(iso: string | null, now: number): string {
  if (!iso) return "-";
  const ms = now - Date.parse(iso);
  return ms >= 0 ? `${humanDuration(ms)} ago` : `in ${humanDuration(-ms)}`;
}

/** An attempt's or task's run time: start to finish, or to now while it runs. */
export function runTime(startedAt: string | null, finishedAt: string | null, now: number): string {
  if (!startedAt) return "-";
  return humanDuration((finishedAt ? Date.parse(finishedAt) : now) - Date.parse(startedAt));
}

/** "2026-12-06 23:50:01Z": ISO-8601 without the milliseconds, easier to read. */
export function shortTime(iso: string | null): string {
  return iso ? iso.replace("T", " ").replace(/\.\d+Z$/, "Z") : "-";
}
