import { expect, test } from "bun:test";
import { parseIsoInstant } from "./iso-time.ts";

test("instants with a zone", () => {
  const iso = (s: string) => parseIsoInstant(s)?.toISOString() ?? null;
  expect(iso("2030-01-31T12:00:00Z")).toBe("2030-01-31T12:00:00.000Z");
  expect(iso("2030-01-31t12:00:00z")).toBe("2030-01-31T12:00:00.000Z");
  expect(iso("2030-01-31 12:00:00.123456+02:00")).toBe("2030-01-31T10:00:00.123Z");
  expect(iso("2030-01-31T12:00-0130")).toBe("2030-01-31T13:30:00.000Z");
  expect(iso("2030-01-31T12:00:00+05")).toBe("2030-01-31T07:00:00.000Z");
  expect(iso("2028-02-29T00:00:00Z")).toBe("2028-02-29T00:00:00.000Z");
  expect(iso("2000-02-29T00:00:00Z")).toBe("2000-02-29T00:00:00.000Z");
});

test("refuses what is not an instant", () => {
  for (const s of [
    "2030-01-31T12:00:00", // no zone
    "2030-01-31",
    "2030-02-29T00:00:00Z", // not a leap year
    "1900-02-29T00:00:00Z",
    "2030-04-31T00:00:00Z",
    "2030-13-01T00:00:00Z",
    "2030-01-01T24:00:00Z",
    "2030-01-01T00:60:00Z",
    "2030-01-01T00:00:60Z",
    "2030-01-01T00:00:00+24:00",
    "0000-01-01T00:00:00Z",
    "tomorrow",
    "",
  ]) {
    expect(parseIsoInstant(s)).toBeNull();
  }
});

test("the same text parsed twice gives equal but separate Dates (the last answer is kept for a batch's shared run_at)", () => {
  const a = parseIsoInstant("2030-01-31T12:00:00+01:00")!;
  a.setTime(0);
  const b = parseIsoInstant("2030-01-31T12:00:00+01:00")!;
  expect(b.toISOString()).toBe("2030-01-31T11:00:00.000Z");
  expect(parseIsoInstant("2030-01-31T12:00:00")).toBeNull();
  expect(parseIsoInstant("2030-01-31T12:00:00")).toBeNull();
  expect(parseIsoInstant("")).toBeNull();
});
