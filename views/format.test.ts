import { expect, test } from "bun:test";
import { niceMax } from "./fragments/throughput-chart.tsx";
import { absoluteTime, ageText, formatBytes, formatDuration, relativeTime } from "./format.ts";

test("durations in the two largest units that matter", () => {
  expect([0, 850, 1_500, 59_000, 61_000, 3_600_000, 3_723_000, 90_000_000].map(formatDuration)).toEqual([
    "0 ms", "850 ms", "1.5 s", "59 s", "1 min 1 s", "1 h", "1 h 2 min", "1 d 1 h",
  ]);
});

test("relative times, past and future", () => {
  const now = new Date("2030-01-01T12:00:00Z");
  const at = (ms: number) => new Date(now.getTime() - ms);
  expect([2_000, 30_000, 90_000, 7_200_000, 172_800_000, -45_000].map((ms) => relativeTime(at(ms), now))).toEqual([
    "just now", "30 s ago", "1 min ago", "2 h ago", "2 d ago", "in 45 s",
  ]);
  expect(ageText(at(4_200), now)).toBe("4 s");
  expect(ageText(at(125_000), now)).toBe("2 min 5 s");
  expect(absoluteTime(new Date("2030-01-31T12:00:05.123Z"))).toBe("2030-01-31 12:00:05 UTC");
});

test("chart scale tops are round and even", () => {
  expect([0, 1, 2, 3, 7, 10, 11, 130, 999].map(niceMax)).toEqual([2, 2, 2, 4, 8, 10, 20, 200, 1000]);
});

test("sizes in binary units", () => {
  expect([0, 1023, 1024, 12_345_678, 5 * 1024 ** 3].map(formatBytes)).toEqual(["0 B", "1023 B", "1.0 KiB", "11.8 MiB", "5.0 GiB"]);
});
