/**
 * Human durations for flags and env variables: `90s`, `15m`, `12h`, `7d`, `2w`,
 * `500ms`, `1.5h`, or long units (`30 minutes`), parsed by the `ms` library. A bare
 * number is milliseconds, so the older millisecond values (`--heartbeat=2000`) keep
 * working. Every duration flag goes through here.
 */
import ms from "ms";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Why a duration text was refused; the message names what is accepted, the caller adds the flag. */
export class DurationError extends Error {
  override name = "DurationError";
}

const ACCEPTS = "a duration such as 500ms, 90s, 15m, 12h, 7d or 2w";

/**
 * Milliseconds in `text`, a whole number ≥ 0. With `requireUnit`, a bare number
 * other than 0 is refused: `--retain-completed=7` is far more likely a slip for
 * `7d` than a wish to keep tasks for 7 ms.
 * @example parseDuration("90s") // 90000
 * @example parseDuration("2000") // 2000
 */
export function parseDuration(text: string, opts: { requireUnit?: boolean } = {}): number {
  const s = text.trim();
  if (s === "") throw new DurationError(`is empty; expected ${ACCEPTS}`);
  const bare = /^\d+(\.\d+)?$/.test(s);
  if (bare && opts.requireUnit && Number(s) !== 0) {
    throw new DurationError(`"${s}" has no unit; write e.g. ${s}d, ${s}h or ${s}m (or 0 to turn it off)`);
  }
  const value = ms(s as ms.StringValue) as number | undefined;
  if (value === undefined || !Number.isFinite(value)) throw new DurationError(`"${s}" is not ${ACCEPTS}`);
  if (value < 0) throw new DurationError(`"${s}" is negative; expected ${ACCEPTS}`);
  return Math.round(value);
}

/**
 * A retention period: a duration, or `0` / `forever` / `off` / `never` for "keep
 * forever" (null).
 * @example parseRetention("7d") // 604800000
 * @example parseRetention("forever") // null
 */
export function parseRetention(text: string): number | null {
  const s = text.trim().toLowerCase();
  if (s === "forever" || s === "off" || s === "never") return null;
  const value = parseDuration(s, { requireUnit: true });
  return value === 0 ? null : value;
}

/**
 * The shortest exact spelling of `value` ms in the largest unit up to days that
 * divides it, so what is printed parses back to the same value.
 * @example formatDuration(604800000) // "7d"
 * @example formatDuration(90000) // "90s"
 */
export function formatDuration(value: number): string {
  const units: [number, string][] = [[DAY, "d"], [HOUR, "h"], [MINUTE, "m"], [SECOND, "s"]];
  if (value === 0) return "0s";
  for (const [size, unit] of units) if (value % size === 0) return `${value / size}${unit}`;
  return `${value}ms`;
}

/** A retention period for people: `7d`, or `forever` when it is off. */
export function formatRetention(value: number | null): string {
  return value === null ? "forever" : formatDuration(value);
}
