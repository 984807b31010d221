import { describe, expect, test } from "bun:test";
import { canonicalTimezone, cronProblem, latestRunAtOrBefore, nextRunAfter, nextRuns } from "./cron.ts";

const at = (s: string) => new Date(s);
const iso = (ds: Date[]) => ds.map((d) => d.toISOString());

describe("next runs", () => {
  test("5 fields: minute precision, strictly after the reference", () => {
    expect(iso(nextRuns("*/15 * * * *", "UTC", at("2030-01-01T00:00:00Z"), 3))).toEqual([
      "2030-01-01T00:15:00.000Z",
      "2030-01-01T00:30:00.000Z",
      "2030-01-01T00:45:00.000Z",
    ]);
    expect(nextRunAfter("0 3 * * 1", "UTC", at("2030-01-01T00:00:00Z"))?.toISOString()).toBe("2030-01-07T03:00:00.000Z");
  });

  test("6 fields: seconds first", () => {
    expect(iso(nextRuns("* * * * * *", "UTC", at("2030-01-01T00:00:00.400Z"), 2))).toEqual([
      "2030-01-01T00:00:01.000Z",
      "2030-01-01T00:00:02.000Z",
    ]);
    expect(iso(nextRuns("30 */10 * * * *", "UTC", at("2030-01-01T00:00:00Z"), 2))).toEqual([
      "2030-01-01T00:00:30.000Z",
      "2030-01-01T00:10:30.000Z",
    ]);
  });

  test("nicknames", () => {
    const from = at("2030-05-15T12:34:56Z");
    const next = (expr: string) => nextRunAfter(expr, "UTC", from)?.toISOString();
    expect(next("@hourly")).toBe("2030-05-15T13:00:00.000Z");
    expect(next("@daily")).toBe("2030-05-16T00:00:00.000Z");
    expect(next("@midnight")).toBe("2030-05-16T00:00:00.000Z");
    expect(next("@weekly")).toBe("2030-05-19T00:00:00.000Z"); // a Sunday
    expect(next("@monthly")).toBe("2030-06-01T00:00:00.000Z");
    expect(next("@yearly")).toBe("2031-01-01T00:00:00.000Z");
    expect(next("@annually")).toBe("2031-01-01T00:00:00.000Z");
  });

  test("a time zone: local wall-clock times, whatever UTC says", () => {
    expect(nextRunAfter("0 9 * * *", "America/New_York", at("2030-01-01T00:00:00Z"))?.toISOString()).toBe("2030-01-01T14:00:00.000Z");
    expect(nextRunAfter("0 9 * * *", "Asia/Tokyo", at("2030-01-01T00:00:00Z"))?.toISOString()).toBe("2030-01-02T00:00:00.000Z");
  });

  test("daylight saving, spring forward (Europe/Berlin, 2030-03-31 02:00 → 03:00)", () => {
    // A fixed time inside the gap runs once, at the first valid time after it (03:00 CEST = 01:00Z).
    expect(iso(nextRuns("30 2 * * *", "Europe/Berlin", at("2030-03-29T12:00:00Z"), 3))).toEqual([
      "2030-03-30T01:30:00.000Z", // 02:30 CET
      "2030-03-31T01:00:00.000Z", // 03:00 CEST: 02:30 does not exist that day
      "2030-04-01T00:30:00.000Z", // 02:30 CEST
    ]);
    // An interval job skips the missing hour.
    expect(iso(nextRuns("30 * * * *", "Europe/Berlin", at("2030-03-31T00:00:00Z"), 3))).toEqual([
      "2030-03-31T00:30:00.000Z", // 01:30 CET
      "2030-03-31T01:30:00.000Z", // 03:30 CEST
      "2030-03-31T02:30:00.000Z", // 04:30 CEST
    ]);
  });

  test("daylight saving, fall back (Europe/Berlin, 2030-10-27 03:00 → 02:00)", () => {
    // A fixed time in the repeated hour runs once...
    expect(iso(nextRuns("30 2 * * *", "Europe/Berlin", at("2030-10-26T12:00:00Z"), 2))).toEqual([
      "2030-10-27T00:30:00.000Z", // 02:30 CEST
      "2030-10-28T01:30:00.000Z", // 02:30 CET
    ]);
    // ...an interval job runs on both occurrences; 24 hourly runs still cover a 25-hour day.
    expect(iso(nextRuns("30 * * * *", "Europe/Berlin", at("2030-10-27T00:00:00Z"), 2))).toEqual([
      "2030-10-27T00:30:00.000Z", // 02:30 CEST
      "2030-10-27T01:30:00.000Z", // 02:30 CET
    ]);
  });

  test("latest run at or before a time: the one catch-up after an outage", () => {
    expect(latestRunAtOrBefore("* * * * *", "UTC", at("2030-01-01T00:05:30Z"))?.toISOString()).toBe("2030-01-01T00:05:00.000Z");
    expect(latestRunAtOrBefore("* * * * *", "UTC", at("2030-01-01T00:05:00Z"))?.toISOString()).toBe("2030-01-01T00:05:00.000Z");
    expect(latestRunAtOrBefore("@daily", "Europe/Berlin", at("2030-06-10T12:00:00Z"))?.toISOString()).toBe("2030-06-09T22:00:00.000Z");
  });
});

describe("validation", () => {
  test("good expressions and time zones", () => {
    for (const expr of ["* * * * *", "*/5 * * * * *", "0 0 * * MON-FRI", " @daily ", "0 0 1 JAN *"]) expect(cronProblem(expr, "UTC")).toBeNull();
    for (const tz of ["UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5"]) expect(canonicalTimezone(tz)).toBe(tz);
    expect(canonicalTimezone("europe/berlin")).toBe("Europe/Berlin");
    expect(canonicalTimezone("utc")).toBe("UTC");
  });

  test("bad expressions say why", () => {
    expect(cronProblem("61 * * * *", "UTC")).toContain("minute");
    // The count of fields is taskflow's message: croner's says it takes seven, which taskflow does not.
    expect(cronProblem("* * * *", "UTC")).toBe("has 4 fields; taskflow accepts 5 fields (minute hour day month weekday), 6 with seconds first, or a nickname like @daily");
    expect(cronProblem("* * * * * * *", "UTC")).toStartWith("has 7 fields; taskflow accepts 5 fields");
    expect(cronProblem("* * * * * * *", "UTC")).not.toContain("seven");
    expect(cronProblem("@every 5s", "UTC")).toContain("not a valid cron expression");
    expect(cronProblem("@reboot", "UTC")).toContain("not a valid cron expression");
    expect(cronProblem("", "UTC")).toContain("has 0 fields");
    expect(cronProblem("0 0 30 2 *", "UTC")).toBe("never matches a future time");
  });

  test("unknown time zones", () => {
    for (const tz of ["Mars/Olympus", "", "Europe/Berlinn", "+05:00", "-0300", "GMT+5"]) expect(canonicalTimezone(tz)).toBeNull();
  });
});
