/**
 * Throws 10,000 generated bad requests at the task routes in-process: wrong
 * types, huge numbers, deep nesting, invalid UTF-8, NUL bytes, oversized and
 * chunked bodies, unknown fields, odd content types, malformed JSON and query
 * strings, bad ids. Every one is invalid by construction, so each must get a 4xx
 * JSON error without a stack trace, and no task may be written. Seeded, so a
 * failure replays exactly.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { openSecuredApp, type SecuredApp } from "./support.ts";
import { rows } from "../../src/db/sql.ts";

const REQUESTS = 10_000;
const SEED = Number(process.env.FUZZ_SEED ?? 20261128);

/** mulberry32: a small seeded PRNG. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const int = (n: number) => Math.floor(rand() * n);

const valid = () => ({ name: "fuzz", command: "echo fuzz", queue: "default", priority: 1, max_retries: 0 });
/** Values each field refuses (null included only where the field does not accept it). */
const BAD: Record<string, unknown[]> = {
  name: [123, "", "x".repeat(201), [], {}, true, null, "a\u0000b", "\ud800"],
  command: [0, "", [], {}, false, null, "echo \u0000", "x".repeat(65_537)],
  env: [[], "A=1", 5, { A: 1 }, { "1A": "x" }, { A: null }, { A: { B: "c" } }, { "": "x" }, { A: "\u0000" }],
  queue: ["", "UPPER", "a b", 5, null, "q".repeat(65), "q\u0000", "é"],
  priority: [101, -101, 1.5, "5", null, 1e308, -1e308, [], 2 ** 53, true],
  run_at: ["", "tomorrow", 5, "2030-13-01T00:00:00Z", "2030-01-01T00:00:00", null, "2030-02-30T00:00:00Z", "9".repeat(400)],
  delay_ms: [-1, 1.5, "10", 1e20, null, 365 * 24 * 3600 * 1000 + 1],
  max_retries: [-1, 101, 0.5, "3", null, 1e300],
  backoff_ms: [0, -5, 86_400_001, "1000", null],
  backoff_factor: [0.5, 11, "2", null, -1, 0],
  backoff_max_ms: [0, 2 ** 31, "x", null],
  timeout_ms: [0, -1, 2 ** 31, "10", 1.5, []],
  idempotency_key: ["", "k".repeat(201), 5, [], "k\u0000", {}],
};
const ODD_TYPES = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "text/html", "application/octet-stream", "application/jsonx", "json", ""];
const enc = new TextEncoder();

interface Attempt {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: BodyInit;
  kind: string;
}

const json = (method: string, path: string, kind: string, text: string | Uint8Array, contentType = "application/json"): Attempt => ({
  method,
  path,
  kind,
  headers: contentType ? { "content-type": contentType } : {},
  body: text as BodyInit,
});
const submitPath = () => (rand() < 0.8 ? "/api/tasks" : "/api/tasks/batch");
const wrapBatch = (path: string, task: unknown) => (path.endsWith("batch") ? { tasks: rand() < 0.5 ? [valid(), task] : [task] } : task);
const nested = (depth: number) => (rand() < 0.5 ? "[".repeat(depth) + "]".repeat(depth) : '{"a":'.repeat(depth) + "1" + "}".repeat(depth));

/** Each generator makes one request that must be refused. */
const GENERATORS: [number, () => Attempt][] = [
  [30, () => {
    const path = submitPath();
    const field = pick(Object.keys(BAD));
    return json("POST", path, `wrong ${field}`, JSON.stringify(wrapBatch(path, { ...valid(), [field]: pick(BAD[field]!) })));
  }],
  [8, () => {
    const path = submitPath();
    const key = pick(["zzz", "status", "id", "max_retry", "__proto__", "constructor", "a/b~c", "\u0000", ""]);
    const body = JSON.stringify(wrapBatch(path, valid())).replace(/^\{/, `{${JSON.stringify(key)}:1,`);
    return json("POST", path, "unknown field", path.endsWith("batch") && rand() < 0.5 ? body : JSON.stringify({ ...valid(), [key]: 1 }));
  }],
  [8, () => json("POST", submitPath(), "huge number", `{"name":"n","command":"c","priority":${pick(["1e400", "-1e400", "99999999999999999999999", "1e-400x", "0x10", "NaN", "Infinity"])}}`)],
  [5, () => json("POST", submitPath(), "deep nesting", rand() < 0.5 ? nested(1 + int(50_000)) : `{"name":"n","command":"c","env":${nested(1 + int(20_000))}}`)],
  [8, () => {
    const bad = pick([[0xff], [0xfe, 0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80]]);
    const head = enc.encode('{"name":"');
    const tail = enc.encode('","command":"echo"}');
    return json("POST", "/api/tasks", "invalid UTF-8", new Uint8Array([...head, ...bad, ...tail]));
  }],
  [6, () => json("POST", submitPath(), "NUL byte", pick(['{"name":"a\u0000","command":"c"}', '\u0000{"name":"a","command":"c"}', '{"name":"a","command":"c"}\u0000', '{"na\u0000me":"a","command":"c"}']))],
  [8, () => json("POST", submitPath(), "malformed JSON", pick(["", "{", "}", "{'name':'a'}", '{"name":"a",}', "null", "[]", "1", '"x"', "true", '{"name":"a" "command":"c"}', "\ufeff{}", "{\"name\":\"a\",\"command\":\"c\"}{}"]))],
  [8, () => json("POST", submitPath(), "odd content type", JSON.stringify(valid()), pick(ODD_TYPES))],
  [8, () => {
    const q = pick([
      "limit=0", "limit=-1", "limit=501", "limit=1e9", "limit=abc", "limit=1.5", "status=bogus", "status=completed,nope", "queue=UPPER",
      "queue=%00", `q=${"x".repeat(201)}`, "q=%00", "cursor=garbage", "cursor=%FF%FE", `cursor=${"A".repeat(5000)}`, "limit=10&limit=abc",
    ]);
    return { method: "GET", path: `/api/tasks?${q}`, kind: "bad query" };
  }],
  [6, () => {
    const id = pick(["abc", "%00", "..%2F..", "x".repeat(10_000), "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz", "1", "%ED%A0%80", rand() < 0.3 ? crypto.randomUUID() : "'; drop table tasks; --"]);
    const action = pick(["", "/cancel", "/retry"]);
    return { method: action ? "POST" : "GET", path: `/api/tasks/${id}${action}`, kind: "bad id" };
  }],
  [1, () => {
    const big = "x".repeat(1024 * 1024 + 1 + int(1000));
    if (rand() < 0.5) return json("POST", submitPath(), "oversized body", `{"name":"${big}","command":"c"}`);
    // Chunked: no Content-Length, so the limit is enforced while reading.
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < 20; i++) c.enqueue(enc.encode(big.slice(0, 64 * 1024)));
        c.close();
      },
    });
    return { method: "POST", path: "/api/tasks", kind: "oversized chunked body", headers: { "content-type": "application/json" }, body: stream };
  }],
];
const TOTAL_WEIGHT = GENERATORS.reduce((a, [w]) => a + w, 0);

function generate(): Attempt {
  let r = rand() * TOTAL_WEIGHT;
  for (const [w, g] of GENERATORS) if ((r -= w) < 0) return g();
  return GENERATORS[0]![1]();
}

let s: SecuredApp;
beforeAll(async () => {
  s = await openSecuredApp([]);
});
afterAll(() => s.close());

const taskCount = async () => Number(rows<{ n: number | string }>(await s.database.db.execute(sql`select count(*) as n from tasks`))[0]!.n);

test(`${REQUESTS} generated bad requests: never a 5xx, never a stack trace, never a write`, async () => {
  const before = await taskCount();
  const kinds = new Map<string, number>();
  for (let i = 0; i < REQUESTS; i++) {
    const a = generate();
    kinds.set(a.kind, (kinds.get(a.kind) ?? 0) + 1);
    const res = await s.send(a.method, a.path, { headers: a.headers, body: a.body });
    const text = await res.text();
    const where = `request ${i} (seed ${SEED}, ${a.kind}: ${a.method} ${a.path.slice(0, 80)}) → ${res.status} ${text.slice(0, 200)}`;
    if (res.status < 400 || res.status >= 500) throw new Error(`not a 4xx: ${where}`);
    if (/\n\s+at |\.ts:\d+|node_modules/.test(text)) throw new Error(`stack trace in the answer: ${where}`);
    let body: { error?: unknown; message?: unknown };
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`not JSON: ${where}`);
    }
    if (typeof body.error !== "string" || typeof body.message !== "string") throw new Error(`not an error body: ${where}`);
  }
  expect(await taskCount()).toBe(before);
  // Every kind of bad input was tried.
  expect(kinds.size).toBeGreaterThanOrEqual(GENERATORS.length);
}, 60_000);

/** Host header values: loopback literals and names, lookalikes, and malformed ones. */
function randomHost(): string {
  const port = () => (rand() < 0.5 ? "" : `:${pick(["8080", "0", "65536", "99999", "", "-1", "80:80", "abc"])}`);
  const label = () => Array.from({ length: 1 + int(12) }, () => pick([..."abcxyz0179-_.:@[]%! \t/\\\u00e9\u0000"])).join("");
  return pick([
    () => pick(["localhost", "LOCALHOST.", "127.0.0.1", "127.1.2.3", "[::1]", "[0:0:0:0:0:0:0:1]", "[::ffff:127.0.0.1]"]) + port(),
    () => `${pick(["127.0.0.1.", "127.", "localhost.", "0x7f.", ""])}${label()}${port()}`,
    () => `${label()}.${label()}${port()}`,
    () => pick(["[::1", "::1", "[zz::1]", "127.0.0.1@evil.example", "a b", "", " ", "x".repeat(300), "[" + "1:".repeat(20) + "]"]),
    () => encodeURIComponent(label()) + port(),
  ])();
}

/** Request targets: real routes with odd encodings, traversal, absolute form, long and broken escapes. */
function randomTarget(): string {
  const route = pick(["/", "/api/tasks", "/api/tasks/x", "/api/workers", "/login", "/healthz", "/readyz", "/metrics", "/tasks", "/live/overview", "/assets/app.css", "/no/such"]);
  const junk = () => pick(["%", "%Z", "%ZZ", "%00", "%C4%80", "%ED%A0%80", "%FF", "..", "//", "\\", "?", "#", ";", "%2e%2e%2f", "\u00e9"].map(encodeURI));
  return pick([
    () => `${route}?next=${junk()}${junk()}`,
    () => `${route}/${junk()}${junk()}`,
    () => `/login?next=${pick(["%2F%C4%80", "//evil.example", "%2F%2Fevil", "/\\evil", "%0d%0aSet-Cookie:x=1"])}`,
    () => `${route}?${"a=1&".repeat(1 + int(500))}`,
    () => pick(["*", "http://evil.example/api/tasks", "//api/tasks", "/api/tasks/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd"]),
  ])();
}

test("random Host headers and URLs through the real server: never a 5xx, never a stack trace, refusals are JSON", async () => {
  const { HttpServer } = await import("../../src/scheduler/http-server.ts");
  const { roleLogger } = await import("../../src/log/logger.ts");
  const { rawRequest } = await import("./support.ts");
  const server = new HttpServer(s.app, { host: "127.0.0.1", port: 0 }, roleLogger("scheduler", "fuzz"));
  await server.start();
  const seen = new Map<number, number>();
  try {
    const one = async (i: number) => {
      const host = randomHost();
      const target = randomTarget();
      // An event stream answers a GET forever: those get HEAD, which must end at once.
      const method = target.startsWith("/live") ? "HEAD" : pick(["GET", "HEAD", "POST"]);
      // Header values cannot carry CR/LF: the fuzzer tests parsing, not request splitting.
      const r = await rawRequest(server.port, host.replace(/[\r\n]/g, ""), target.replace(/[\r\n ]/g, ""), method);
      seen.set(r.status, (seen.get(r.status) ?? 0) + 1);
      const where = `request ${i} (seed ${SEED}): ${method} ${target.slice(0, 80)} Host ${JSON.stringify(host.slice(0, 60))} → ${r.status} ${r.body.slice(0, 200)}`;
      if (r.status === 0 || r.status >= 500) throw new Error(`no answer or a 5xx: ${where}`);
      if (/\n\s+at |\.ts:\d+|node_modules|\/work\//.test(r.body)) throw new Error(`stack trace in the answer: ${where}`);
      if ((r.status === 400 || r.status === 421) && method !== "HEAD" && r.body !== "") {
        const body = JSON.parse(r.body);
        if (typeof body.error !== "string") throw new Error(`not an error body: ${where}`);
      }
    };
    for (let i = 0; i < 2000; i += 20) await Promise.all(Array.from({ length: 20 }, (_, k) => one(i + k)));
  } finally {
    await server.stop();
  }
  // Both kinds of answer happened: served (loopback names) and refused (malformed, rebinding).
  expect(seen.get(400)).toBeGreaterThan(0);
  expect(seen.get(421)).toBeGreaterThan(0);
  expect([...seen.keys()].some((st) => st < 400)).toBe(true);
  expect(await taskCount()).toBe(0);
}, 120_000);
