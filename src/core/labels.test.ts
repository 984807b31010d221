import { describe, expect, test } from "bun:test";
import { describeLabels, labelProblems, parseLabelList, parsePair, selectorMatches } from "./labels.ts";

describe("selectorMatches", () => {
  const worker = { region: "eu", disk: "ssd", gpu: "a100", hostname: "db-1" };
  test("no selector or an empty one matches every worker", () => {
    expect(selectorMatches(null, worker)).toBe(true);
    expect(selectorMatches({}, {})).toBe(true);
  });
  test("equality needs the same value", () => {
    expect(selectorMatches({ region: "eu", disk: "ssd" }, worker)).toBe(true);
    expect(selectorMatches({ region: "us" }, worker)).toBe(false);
    expect(selectorMatches({ region: "eu", disk: "hdd" }, worker)).toBe(false);
  });
  test("* needs the label, whatever its value", () => {
    expect(selectorMatches({ gpu: "*" }, worker)).toBe(true);
    expect(selectorMatches({ gpu: "*" }, { region: "eu" })).toBe(false);
    expect(selectorMatches({ gpu: "*", region: "eu" }, worker)).toBe(true);
  });
  test("a missing label never matches, even an inherited name", () => {
    expect(selectorMatches({ toString: "*" }, worker)).toBe(false);
  });
});

describe("label rules", () => {
  test("parses a flag's comma list", () => {
    expect(parseLabelList(" region=eu, disk=ssd ,")).toEqual({ region: "eu", disk: "ssd" });
    expect(parseLabelList("")).toEqual({});
  });
  test("refuses bad pairs with a message naming them", () => {
    expect(() => parsePair("region")).toThrow('"region" must be KEY=VALUE');
    expect(() => parsePair("Region=eu")).toThrow("label key");
    expect(() => parsePair("region=")).toThrow("value of region");
  });
  test("labelProblems names each bad key and the count", () => {
    expect(labelProblems({ ok: "x", "Bad Key": "y", v: 3 }, 2)).toEqual([
      ["", "must have at most 2 labels (got 3)"],
      ["Bad Key", expect.stringContaining("label key")],
      ["v", "must be a string"],
    ]);
    expect(labelProblems([], 2)).toEqual([["", expect.any(String)]]);
    expect(labelProblems({ "team/app.name": "api-1" }, 2)).toEqual([]);
  });
  test("describeLabels sorts keys", () => {
    expect(describeLabels({ region: "eu", gpu: "*" })).toBe("gpu=*,region=eu");
  });
});
