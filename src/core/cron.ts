/**
 * Cron expressions for schedules (SPEC §2), on croner: 5 fields (minute hour
 * day month weekday), 6 with seconds first, or a nickname (@yearly, @annually,
 * @monthly, @weekly, @daily, @midnight, @hourly), read in an IANA time zone.
 *
 * Pure functions of their inputs: callers pass the reference time (the
 * database's clock, never the local one) and no timers are ever created.
 * Daylight-saving rules are croner's: a fixed-time job (`30 2 * * *`) that falls
 * in a spring-forward gap runs at the first valid time after it and runs once
 * when autumn repeats the hour; interval jobs (`*\/15 * * * *`) skip the gap
 * and run on both occurrences of a repeated time.
 */
import { coerceError } from "./errors.ts";
import { Cron } from "croner";

/** What taskflow accepts, as every cron error message and the form's hint say it. */
export const CRON_ACCEPTED = "5 fields (minute hour day month weekday), 6 with seconds first, or a nickname like @daily";
const ACCEPTED = CRON_ACCEPTED;

/** 5 or 6 fields only: croner's 7th (year) field is not part of the contract. */
const MODE = "5-or-6-parts" as const;

/**
 * The canonical spelling of IANA time zone `tz` ("europe/berlin" → "Europe/Berlin"),
 * or null when this runtime does not know it. UTC offsets like "+05:00" are refused:
 * they have no daylight-saving rules, so an offset is better said as "Etc/GMT-5".
 *
 * @example canonicalTimezone("utc") // "UTC"
 * @example canonicalTimezone("Mars/Olympus") // null
 */
export function canonicalTimezone(tz: string): string | null {
  if (!/^[A-Za-z]/.test(tz)) return null;
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/**
 * Why `expr` is not a usable cron expression in `tz`, or null when it is one.
 * An expression that can never match (`0 0 30 2 *`) is refused too: it would
 * make a schedule that silently never runs. `now` only serves that check, so the
 * local clock is good enough for it.
 *
 * @example cronProblem("*\/5 * * * *", "UTC") // null
 * @example cronProblem("61 * * * *", "UTC") // "is not a valid cron expression: Invalid value for minute: 61; taskflow accepts 5 fields …"
 * @example cronProblem("0 0 * * * * 2030", "UTC") // "has 7 fields; taskflow accepts 5 fields (minute hour day month weekday), 6 with seconds first, or a nickname like @daily"
 */
export function cronProblem(expr: string, tz: string, now: Date = new Date()): string | null {
  // Counted here: croner's own message names the seven-part form taskflow does not accept.
  const fields = expr.trim().split(/\s+/).filter(Boolean).length;
  if (!expr.trim().startsWith("@") && fields !== 5 && fields !== 6) {
    return `has ${fields} ${fields === 1 ? "field" : "fields"}; taskflow accepts ${ACCEPTED}`;
  }
  let next: Date | null;
  try {
    next = cron(expr, tz).nextRun(now);
  } catch (err) {
    const reason = coerceError(err).message.replace(/^CronPattern: /, "");
    return `is not a valid cron expression: ${reason}; taskflow accepts ${ACCEPTED}`;
  }
  return next === null ? "never matches a future time" : null;
}

/**
 * The next `n` due times strictly after `after`.
 *
 * @example nextRuns("@hourly", "UTC", new Date("2030-01-01T00:00:00Z"), 2) // [01:00Z, 02:00Z]
 */
export function nextRuns(expr: string, tz: string, after: Date, n: number): Date[] {
  return cron(expr, tz).nextRuns(n, after);
}

/** The first due time strictly after `after`, or null when the expression never matches again. */
export function nextRunAfter(expr: string, tz: string, after: Date): Date | null {
  return cron(expr, tz).nextRun(after);
}

/**
 * The latest due time at or before `at`, or null when there is none. Used to
 * collapse missed ticks into the most recent one.
 *
 * @example latestRunAtOrBefore("* * * * *", "UTC", new Date("2030-01-01T00:05:30Z")) // 00:05:00Z
 */
export function latestRunAtOrBefore(expr: string, tz: string, at: Date): Date | null {
  // previousRuns is exclusive of its reference; due times are whole seconds, so 1 ms later includes `at`.
  return cron(expr, tz).previousRuns(1, new Date(at.getTime() + 1))[0] ?? null;
}

/** Without a callback croner starts no timer: this is a calculator, not a job. */
function cron(expr: string, tz: string): Cron {
  return new Cron(expr.trim(), { timezone: tz, mode: MODE });
}

/** Up to `n` due times at or before `at`, latest first. */
export function latestRunsAtOrBefore(expr: string, tz: string, at: Date, n: number): Date[] {
  return cron(expr, tz).previousRuns(n, new Date(at.getTime() + 1));
}
