import { expect, test } from "bun:test";
import { plural } from "./plural.ts";

test("one, none and many", () => {
  expect([plural(1, "attempt"), plural(0, "attempt"), plural(2, "attempt"), plural(2, "process group")]).toEqual(["1 attempt", "0 attempts", "2 attempts", "2 process groups"]);
  expect(plural(2, "person", "people")).toBe("2 people");
});
