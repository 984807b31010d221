/**
 * Parses ISO-8601 / RFC 3339 instants that carry a time zone ("Z" or an offset).
 * `Date.parse` is too lenient for an API: it takes times without a zone (read as
 * local time) and rolls impossible dates over (Feb 30 → Mar 2).
 */

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)$/;

/**
 * The instant `s` names, or null when it is not a valid ISO-8601 time with a zone.
 *
 * @example parseIsoInstant("2030-01-31T12:00:00+01:00")?.toISOString() // "2030-01-31T11:00:00.000Z"
 * @example parseIsoInstant("2030-01-31T12:00:00") // null: no time zone
 */
export function parseIsoInstant(s: string): Date | null {
  // The tasks of a batch often share one run_at: the last answer is kept (a fresh Date each time, as Dates are mutable).
  if (s !== last.text) last = { text: s, ms: parseMs(s) };
  return last.ms === null ? null : new Date(last.ms);
}

/** The last string parsed and its instant (ms since the epoch; null: not an instant). "" is no instant. */
let last: { text: string; ms: number | null } = { text: "", ms: null };

function parseMs(s: string): number | null {
  const m = ISO_INSTANT.exec(s);
  if (!m) return null;
  // Field by field, no intermediate arrays: a batch of 1000 tasks parses 1000 of these.
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const millis = m[7] === undefined ? 0 : Number(m[7].padEnd(3, "0").slice(0, 3));
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  const offsetMinutes = parseOffset(m[8]!);
  if (offsetMinutes === null) return null;
  let utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  if (year < 100) {
    // Date.UTC reads years 0–99 as 1900–1999; setUTCFullYear keeps them as they are.
    const d = new Date(utc);
    d.setUTCFullYear(year);
    utc = d.getTime();
  }
  return utc - offsetMinutes * 60_000;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1]!;
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Minutes east of UTC, or null for an impossible offset. */
function parseOffset(z: string): number | null {
  if (z === "Z" || z === "z") return 0;
  const sign = z[0] === "-" ? -1 : 1;
  const digits = z.slice(1).replace(":", "");
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2) || "0");
  if (hours > 23 || minutes > 59) return null;
  return sign * (hours * 60 + minutes);
}
