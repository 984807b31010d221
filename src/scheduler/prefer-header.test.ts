import { expect, test } from "bun:test";
import { preference, prefersMinimal } from "./prefer-header.ts";

test("reads a preference's value among others, case-insensitively, quoted or not", () => {
  expect(preference("return=minimal", "return")).toBe("minimal");
  expect(preference("respond-async, wait=5, Return=Minimal", "return")).toBe("minimal");
  expect(preference('return="minimal"; foo=bar', "return")).toBe("minimal");
  expect(preference("  return = minimal ", "return")).toBe("minimal");
  expect(preference("respond-async", "respond-async")).toBe("");
});

test("the first mention of a preference wins; absent or empty headers have none", () => {
  expect(preference("return=representation, return=minimal", "return")).toBe("representation");
  expect(preference("returns=minimal", "return")).toBeNull();
  expect(preference("", "return")).toBeNull();
  expect(preference(null, "return")).toBeNull();
});

test("prefersMinimal looks at the Prefer header only", () => {
  const req = (headers: Record<string, string>) => new Request("http://localhost/", { headers });
  expect(prefersMinimal(req({ prefer: "return=minimal" }))).toBe(true);
  expect(prefersMinimal(req({ prefer: "return=representation" }))).toBe(false);
  expect(prefersMinimal(req({}))).toBe(false);
});
