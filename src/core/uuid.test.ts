import { expect, test } from "bun:test";
import { isUuid, newTaskId } from "./uuid.ts";

test("task ids are UUIDv7 and strictly increasing, even within one millisecond", () => {
  const ids = Array.from({ length: 10_000 }, () => newTaskId());
  expect(ids.every((id) => isUuid(id) && id[14] === "7")).toBe(true);
  expect(ids.every((id, i) => i === 0 || ids[i - 1]! < id)).toBe(true);
  // The first 48 bits are the time in milliseconds.
  const ms = parseInt(ids[0]!.replaceAll("-", "").slice(0, 12), 16);
  expect(Math.abs(ms - Date.now())).toBeLessThan(60_000);
});
