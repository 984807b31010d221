import { expect, test } from "bun:test";
import { decodeCursor, encodeCursor, idPrefixRange, LIST_LIMIT_DEFAULT, parseListQuery } from "./list-query.ts";

const parse = (q: string) => parseListQuery(new URLSearchParams(q));

test("defaults: every status, any queue, limit 50, first page", () => {
  expect(parse("")).toEqual({ ok: true, value: { statuses: [], queue: null, nameContains: null, outputContains: null, scheduleId: null, fromSchedule: null, parentId: null, labels: {}, idRange: null, limit: LIST_LIMIT_DEFAULT, after: null } });
});

test("from_schedule: true or false, nothing else", () => {
  expect(parse("from_schedule=false")).toMatchObject({ ok: true, value: { fromSchedule: false } });
  expect(parse("from_schedule=true")).toMatchObject({ ok: true, value: { fromSchedule: true } });
  expect(parse("from_schedule=no")).toEqual({ ok: false, problems: [{ path: "/from_schedule", message: "must be true or false" }] });
});

test("status as a comma list or repeated, deduplicated", () => {
  const r = parse("status=failed,%20running&status=failed&q=%20nightly%20&queue=io&limit=500");
  expect(r.ok && r.value).toMatchObject({ statuses: ["failed", "running"], queue: "io", nameContains: "nightly", limit: 500 });
});

test("schedule_id: a UUID, lowercased; the dashboard still reads its old name `schedule`", () => {
  const id = "7D1C2A4E-0000-4000-8000-000000000001";
  expect(parse(`schedule_id=${id}`)).toMatchObject({ ok: true, value: { scheduleId: id.toLowerCase() } });
  expect(parseListQuery(new URLSearchParams(`schedule=${id}`), { legacyScheduleName: true })).toMatchObject({ ok: true, value: { scheduleId: id.toLowerCase() } });
  // The API has one name (its route refuses `schedule` as an unknown parameter).
  expect(parse(`schedule=${id}`)).toMatchObject({ ok: true, value: { scheduleId: null } });
});

test("worker_id, name, created_before and created_after", () => {
  const r = parse("worker_id=7D1C2A4E-0000-4000-8000-000000000001&name=nightly&created_before=2030-01-02T00:00:00Z&created_after=2030-01-01T00:00:00%2B01:00");
  expect(r.ok && r.value).toMatchObject({ workerId: "7d1c2a4e-0000-4000-8000-000000000001", name: "nightly", createdBefore: new Date("2030-01-02T00:00:00Z"), createdAfter: new Date("2029-12-31T23:00:00Z") });
  const bad = parse("worker_id=w1&created_before=yesterday&created_after=2030-01-01");
  expect(!bad.ok && bad.problems.map((p) => p.path)).toEqual(["/worker_id", "/created_before", "/created_after"]);
});

test("id_prefix: the start of an id, as the range of ids that begin with it", () => {
  expect(parse("id_prefix=7D1C2A4E-00")).toMatchObject({ ok: true, value: { idRange: { from: "7d1c2a4e-0000-0000-0000-000000000000", to: "7d1c2a4e-00ff-ffff-ffff-ffffffffffff" } } });
  expect(idPrefixRange("7d1c2a4e-0000-4000-8000-000000000001")).toEqual({ from: "7d1c2a4e-0000-4000-8000-000000000001", to: "7d1c2a4e-0000-4000-8000-000000000001" });
});

test("the cursor round-trips and keeps microseconds", () => {
  const p = { createdAt: "2030-01-31T12:00:00.123456", seq: 4_000_000_017 };
  const c = encodeCursor(p);
  expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
  expect(decodeCursor(c)).toEqual(p);
  expect(parse(`cursor=${c}`)).toMatchObject({ ok: true, value: { after: p } });
});

test("bad values name the parameter", () => {
  // A cursor from before tasks had a seq (created_at|id) is refused, not read as some other position.
  const oldCursor = Buffer.from("2030-01-31T12:00:00.123456|7d1c2a4e-0000-4000-8000-000000000001").toString("base64url");
  const paths = (q: string) => {
    const r = parse(q);
    return r.ok ? [] : r.problems.map((p) => p.path);
  };
  expect(paths("status=done")).toEqual(["/status"]);
  expect(paths("queue=A")).toEqual(["/queue"]);
  expect(paths(`q=${"x".repeat(201)}`)).toEqual(["/q"]);
  expect(paths("q=%00")).toEqual(["/q"]);
  for (const id of ["nope", "1", "7d1c2a4e-0000-4000-8000-00000000000", "'; drop table tasks; --"]) expect(paths(`schedule_id=${encodeURIComponent(id)}`)).toEqual(["/schedule_id"]);
  for (const limit of ["0", "501", "-1", "1.5", "1e2", "ten"]) expect(paths(`limit=${limit}`)).toEqual(["/limit"]);
  for (const cursor of ["!!", "abc", encodeCursor({ createdAt: "2030-02-30T00:00:00.000000", seq: 1 }), oldCursor]) {
    expect(paths(`cursor=${cursor}`)).toEqual(["/cursor"]);
  }
});

test("output: a search of 3 to 200 characters, kept as typed", () => {
  expect(parse("output=%20disk%20full").ok && (parse("output=%20disk%20full") as { value: { outputContains: string } }).value.outputContains).toBe(" disk full");
  const short = parse("output=ab");
  expect(short.ok ? [] : short.problems.map((p) => p.path)).toEqual(["/output"]);
});
