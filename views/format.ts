/**
 * Text for times and durations, shared by every view. Absolute times are UTC so a
 * page reads the same on every server; relative times are recomputed in the
 * browser each second by views/client/live-times.js (the same rules, in JS).
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * A duration in the largest two units that matter.
 *
 * @example formatDuration(850) // "850 ms"
 * @example formatDuration(3_723_000) // "1 h 2 min"
 */
export function formatDuration(ms: number): string {
  const abs = Math.max(0, Math.round(ms));
  if (abs < SECOND) return `${abs} ms`;
  if (abs < 10 * SECOND) return `${(abs / SECOND).toFixed(1)} s`;
  if (abs < MINUTE) return `${Math.floor(abs / SECOND)} s`;
  if (abs < HOUR) return pair(abs, MINUTE, "min", SECOND, "s");
  if (abs < DAY) return pair(abs, HOUR, "h", MINUTE, "min");
  return pair(abs, DAY, "d", HOUR, "h");
}

function pair(ms: number, big: number, bigUnit: string, small: number, smallUnit: string): string {
  const a = Math.floor(ms / big);
  const b = Math.floor((ms % big) / small);
  return b === 0 ? `${a} ${bigUnit}` : `${a} ${bigUnit} ${b} ${smallUnit}`;
}

/**
 * How long ago (or until) `at`, seen at `now`, in one unit.
 *
 * @example relativeTime(new Date(0), new Date(90_000)) // "1 min ago"
 */
export function relativeTime(at: Date, now: Date): string {
  const diff = now.getTime() - at.getTime();
  const abs = Math.abs(diff);
  if (abs < 5 * SECOND) return "just now";
  const text =
    abs < MINUTE ? `${Math.floor(abs / SECOND)} s` : abs < HOUR ? `${Math.floor(abs / MINUTE)} min` : abs < DAY ? `${Math.floor(abs / HOUR)} h` : `${Math.floor(abs / DAY)} d`;
  return diff >= 0 ? `${text} ago` : `in ${text}`;
}

/**
 * A countdown to `at`: "in 8 s" while ahead, "due now" once it has come.
 *
 * @example countdownText(new Date(60_000), new Date(0)) // "in 1 min"
 */
export function countdownText(at: Date, now: Date): string {
  return at.getTime() - now.getTime() > 0 ? relativeTime(at, now).replace("just now", "in a moment") : "due now";
}

/** The age of `at` at `now` as a short duration ("4 s"), for heartbeats and uptimes. */
export function ageText(at: Date, now: Date): string {
  const ms = Math.max(0, now.getTime() - at.getTime());
  return ms < MINUTE ? `${Math.floor(ms / SECOND)} s` : formatDuration(ms);
}

/**
 * An absolute UTC time to the second.
 *
 * @example absoluteTime(new Date("2030-01-31T12:00:05.123Z")) // "2030-01-31 12:00:05 UTC"
 */
export function absoluteTime(at: Date): string {
  return `${at.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** A count with thousands separators ("12,345"). */
export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

/**
 * A size in bytes in the largest binary unit below it, one decimal.
 *
 * @example formatBytes(12_345_678) // "11.8 MiB"
 */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = Math.max(0, n);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

/**
 * A byte count in full, for marks where the exact figure matters.
 * @example formatByteCount(1234567) // "1,234,567 bytes"
 */
export function formatByteCount(n: number): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? "byte" : "bytes"}`;
}
