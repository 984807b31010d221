import { describe, expect, test } from "bun:test";
import { DurationError, formatDuration, formatRetention, parseDuration, parseRetention } from "./duration.ts";

describe("parseDuration", () => {
  test("reads the usual human forms", () => {
    expect(parseDuration("90s")).toBe(90_000);
    expect(parseDuration("15m")).toBe(900_000);
    expect(parseDuration("12h")).toBe(43_200_000);
    expect(parseDuration("7d")).toBe(604_800_000);
    expect(parseDuration("2w")).toBe(1_209_600_000);
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("1.5h")).toBe(5_400_000);
    expect(parseDuration("30 minutes")).toBe(1_800_000);
    expect(parseDuration(" 10S ")).toBe(10_000);
  });

  test("a bare number is milliseconds, as the older flags were", () => {
    expect(parseDuration("2000")).toBe(2000);
    expect(parseDuration("0")).toBe(0);
  });

  test("refuses nonsense with a message naming what it accepts", () => {
    for (const bad of ["", "  ", "soon", "7 parsecs", "1h30m", "d7", "--5s", "7dd"]) {
      expect(() => parseDuration(bad)).toThrow(DurationError);
    }
    expect(() => parseDuration("soon")).toThrow('"soon" is not a duration such as 500ms, 90s, 15m, 12h, 7d or 2w');
    expect(() => parseDuration("")).toThrow("is empty");
  });

  test("refuses negative durations", () => {
    expect(() => parseDuration("-5m")).toThrow('"-5m" is negative');
  });

  test("requireUnit refuses a bare number but 0, and says how to write it", () => {
    expect(() => parseDuration("7", { requireUnit: true })).toThrow('"7" has no unit; write e.g. 7d, 7h or 7m (or 0 to turn it off)');
    expect(parseDuration("0", { requireUnit: true })).toBe(0);
    expect(parseDuration("7d", { requireUnit: true })).toBe(604_800_000);
  });
});

describe("parseRetention", () => {
  test("a duration, or null for keep-forever", () => {
    expect(parseRetention("7d")).toBe(604_800_000);
    expect(parseRetention("1m")).toBe(60_000);
    for (const off of ["0", "forever", "FOREVER", "off", "never", "0s"]) expect(parseRetention(off)).toBeNull();
  });

  test("refuses a bare number and bad text", () => {
    expect(() => parseRetention("30")).toThrow("has no unit");
    expect(() => parseRetention("a week")).toThrow(DurationError);
  });
});

describe("formatDuration", () => {
  test("the largest unit that divides the value exactly, and it parses back", () => {
    const cases: [number, string][] = [[604_800_000, "7d"], [90_000, "90s"], [43_200_000, "12h"], [900_000, "15m"], [1500, "1500ms"], [0, "0s"]];
    for (const [value, text] of cases) {
      expect(formatDuration(value)).toBe(text);
      expect(parseDuration(text)).toBe(value);
    }
    expect(formatRetention(null)).toBe("forever");
    expect(formatRetention(86_400_000)).toBe("1d");
  });
});
