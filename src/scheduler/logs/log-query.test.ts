import { describe, expect, test } from "bun:test";
import { completeUtf8Length, JSON_LIMIT_DEFAULT, LIMIT_MAX, parseLogQuery } from "./log-query.ts";

describe("parseLogQuery", () => {
  test("defaults: both streams from 0, text with everything; JSON by Accept with a page", () => {
    expect(parseLogQuery(new URLSearchParams(""), null)).toEqual({ ok: true, value: { stream: "both", offset: 0, limit: LIMIT_MAX, follow: false, format: "text", download: false } });
    const json = parseLogQuery(new URLSearchParams("stream=stderr&offset=10&follow=1"), "application/json");
    expect(json).toEqual({ ok: true, value: { stream: "stderr", offset: 10, limit: JSON_LIMIT_DEFAULT, follow: true, format: "json", download: false } });
  });

  test("every bad parameter is named", () => {
    const r = parseLogQuery(new URLSearchParams("stream=x&offset=-1&limit=0&format=xml&follow=yes"), null);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.path)).toEqual(["/stream", "/offset", "/limit", "/format", "/follow"]);
  });
});

describe("completeUtf8Length", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  test("holds back a character cut at the end, and only that", () => {
    expect(completeUtf8Length(enc("abc"))).toBe(3);
    const e = enc("aé"); // 61 c3 a9
    expect(completeUtf8Length(e)).toBe(3);
    expect(completeUtf8Length(e.subarray(0, 2))).toBe(1);
    const emoji = enc("x🙂"); // 4-byte character
    for (let cut = 2; cut < 5; cut++) expect(completeUtf8Length(emoji.subarray(0, cut))).toBe(1);
    expect(completeUtf8Length(emoji)).toBe(5);
  });
});
