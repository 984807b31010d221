import { describe, expect, test } from "bun:test";
import { validateNewTask, validateTaskBatch, MAX_PROBLEMS } from "./validate-task.ts";

const base = { name: "n", command: "true" };

/** The problems for `body`, as path → message. */
function problemsOf(body: unknown): Record<string, string> {
  const r = validateNewTask(body);
  if (r.ok) return {};
  return Object.fromEntries(r.problems.map((p) => [p.path, p.message]));
}

describe("validateTaskBatch depends_on", () => {
  test("$N refers to an earlier task of the batch, not itself or a later one, nor one with an idempotency key", () => {
    const ok = validateTaskBatch({ tasks: [base, { ...base, depends_on: ["$0"] }, { ...base, depends_on: ["$0", "$1"] }] });
    expect(ok.ok && ok.value.map((t) => t.dependsOn)).toEqual([[], [0], [0, 1]]);
    const bad = validateTaskBatch({ tasks: [{ ...base, idempotency_key: "k" }, { ...base, depends_on: ["$1", "$2", "$01"] }, { ...base, depends_on: ["$0"] }] });
    expect(!bad.ok && Object.fromEntries(bad.problems.map((p) => [p.path, p.message]))).toEqual({
      "/tasks/1/depends_on/0": "must refer to an earlier task of the batch ($0 to $0)",
      "/tasks/1/depends_on/1": "must refer to an earlier task of the batch ($0 to $0)",
      "/tasks/1/depends_on/2": "must refer to an earlier task of the batch ($0 to $0)",
      "/tasks/2/depends_on/0": "$0 has an idempotency key; refer to it by its task id instead",
    });
  });
});

describe("validateNewTask", () => {
  test("applies SPEC §2 defaults", () => {
    const r = validateNewTask(base);
    expect(r).toEqual({
      ok: true,
      value: {
        name: "n", command: "true", env: {}, queue: "default", priority: 0, runAt: null, delayMs: 0, maxRetries: 3,
        backoffMs: 1000, backoffFactor: 2, backoffMaxMs: 3_600_000, timeoutMs: null, idempotencyKey: null,
        concurrencyKey: null, concurrencyLimit: 1, dependsOn: [], onDependencyFailure: "cancel",
        selector: null, labels: {}, fanout: null, fanoutRetry: "same",
      },
    });
  });

  test("keeps every field given", () => {
    const r = validateNewTask({
      ...base, env: { A: "1", _b2: "" }, queue: "q-1_x", priority: -100, run_at: "2030-01-31T12:00:00.5+01:00", max_retries: 0,
      backoff_ms: 5, backoff_factor: 1.5, backoff_max_ms: 10, timeout_ms: 2_147_483_647, idempotency_key: "k",
      concurrency_key: "deploy-prod", concurrency_limit: 3, depends_on: ["0F8B0C5E-1D3A-4B8E-9B6A-2C4D5E6F7A8B"], on_dependency_failure: "run",
      selector: { region: "eu", gpu: "*" }, labels: { team: "db" }, fanout_retry: "any",
    });
    expect(r.ok && r.value).toEqual({
      name: "n", command: "true", env: { A: "1", _b2: "" }, queue: "q-1_x", priority: -100, runAt: new Date("2030-01-31T11:00:00.500Z"),
      delayMs: 0, maxRetries: 0, backoffMs: 5, backoffFactor: 1.5, backoffMaxMs: 10, timeoutMs: 2_147_483_647, idempotencyKey: "k",
      concurrencyKey: "deploy-prod", concurrencyLimit: 3, dependsOn: ["0f8b0c5e-1d3a-4b8e-9b6a-2c4d5e6f7a8b"], onDependencyFailure: "run",
      selector: { region: "eu", gpu: "*" }, labels: { team: "db" }, fanout: null, fanoutRetry: "any",
    });
    expect(validateNewTask({ ...base, delay_ms: 1500 }).ok && (validateNewTask({ ...base, delay_ms: 1500 }) as any).value.delayMs).toBe(1500);
  });

  test("placement fields: bad selector and label keys, bad fanout, fanout with depends_on", () => {
    const r = validateNewTask({ ...base, selector: { Region: "eu" }, labels: { ok: "a,b" }, fanout: 0, fanout_retry: "maybe" });
    expect(r.ok).toBe(false);
    const paths = !r.ok ? Object.fromEntries(r.problems.map((p) => [p.path, p.message])) : {};
    expect(paths["/selector/Region"]).toContain(`label key "Region" must be`);
    expect(paths["/labels/ok"]).toBe("must not contain control characters, commas or =");
    expect(paths["/fanout"]).toContain('"all"');
    expect(paths["/fanout_retry"]).toBe("must be one of same, any");
    const dep = validateNewTask({ ...base, fanout: "all", depends_on: ["0f8b0c5e-1d3a-4b8e-9b6a-2c4d5e6f7a8b"] });
    expect(!dep.ok && dep.problems.map((p) => p.path)).toEqual(["/fanout"]);
    expect(validateNewTask({ ...base, fanout: "all", selector: { disk: "ssd" } })).toMatchObject({ ok: true, value: { fanout: "all", selector: { disk: "ssd" } } });
    expect(validateNewTask({ ...base, fanout: 3 })).toMatchObject({ ok: true, value: { fanout: 3 } });
  });

  test("backoff_max_ms defaults to at least backoff_ms", () => {
    const r = validateNewTask({ ...base, backoff_ms: 7_200_000 });
    expect(r.ok && r.value.backoffMaxMs).toBe(7_200_000);
  });

  const big = (n: number, c = "x") => c.repeat(n);
  // [case, field value overrides, path named, accepted boundary (or null)]
  const cases: [string, Record<string, unknown>, string][] = [
    ["name missing", { name: undefined }, "/name"],
    ["name empty", { name: "" }, "/name"],
    ["name too long", { name: big(201) }, "/name"],
    ["name not a string", { name: 5 }, "/name"],
    ["command missing", { command: undefined }, "/command"],
    ["command empty", { command: "" }, "/command"],
    ["command over 65536 bytes (multi-byte)", { command: big(32_769, "é") }, "/command"],
    ["command over 65536 bytes", { command: big(65_537) }, "/command"],
    ["env not an object", { env: ["A"] }, "/env"],
    ["env null", { env: null }, "/env"],
    ["env bad name", { env: { "1A": "x" } }, "/env/1A"],
    ["env name with dash", { env: { "A-B": "x" } }, "/env/A-B"],
    ["env value not a string", { env: { A: 1 } }, "/env/A"],
    ["env value with NUL", { env: { A: "a\u0000" } }, "/env/A"],
    ["env too many vars", { env: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`V${i}`, ""])) }, "/env"],
    ["env over 64 KiB", { env: { A: big(40_000), B: big(30_000) } }, "/env"],
    ["queue upper case", { queue: "Default" }, "/queue"],
    ["queue empty", { queue: "" }, "/queue"],
    ["queue too long", { queue: big(65, "q") }, "/queue"],
    ["priority too high", { priority: 101 }, "/priority"],
    ["priority too low", { priority: -101 }, "/priority"],
    ["priority fraction", { priority: 1.5 }, "/priority"],
    ["priority numeric string", { priority: "5" }, "/priority"],
    ["run_at without zone", { run_at: "2030-01-01T00:00:00" }, "/run_at"],
    ["run_at date only", { run_at: "2030-01-01" }, "/run_at"],
    ["run_at impossible date", { run_at: "2030-02-30T00:00:00Z" }, "/run_at"],
    ["run_at not a string", { run_at: 1_900_000_000_000 }, "/run_at"],
    ["delay_ms negative", { delay_ms: -1 }, "/delay_ms"],
    ["delay_ms over a year", { delay_ms: 365 * 24 * 3600 * 1000 + 1 }, "/delay_ms"],
    ["max_retries negative", { max_retries: -1 }, "/max_retries"],
    ["max_retries over 100", { max_retries: 101 }, "/max_retries"],
    ["backoff_ms zero", { backoff_ms: 0 }, "/backoff_ms"],
    ["backoff_ms over a day", { backoff_ms: 86_400_001 }, "/backoff_ms"],
    ["backoff_factor under 1", { backoff_factor: 0.5 }, "/backoff_factor"],
    ["backoff_factor over 10", { backoff_factor: 10.5 }, "/backoff_factor"],
    ["backoff_max_ms zero", { backoff_max_ms: 0 }, "/backoff_max_ms"],
    ["backoff_max_ms over int32", { backoff_max_ms: 2_147_483_648 }, "/backoff_max_ms"],
    ["backoff_max_ms under backoff_ms", { backoff_ms: 1000, backoff_max_ms: 999 }, "/backoff_max_ms"],
    ["timeout_ms zero", { timeout_ms: 0 }, "/timeout_ms"],
    ["timeout_ms over int32", { timeout_ms: 2_147_483_648 }, "/timeout_ms"],
    ["timeout_ms string", { timeout_ms: "10" }, "/timeout_ms"],
    ["idempotency_key empty", { idempotency_key: "" }, "/idempotency_key"],
    ["idempotency_key too long", { idempotency_key: big(201) }, "/idempotency_key"],
    ["idempotency_key number", { idempotency_key: 7 }, "/idempotency_key"],
    ["concurrency_key too long", { concurrency_key: big(201) }, "/concurrency_key"],
    ["concurrency_key empty", { concurrency_key: "" }, "/concurrency_key"],
    ["concurrency_limit zero", { concurrency_limit: 0 }, "/concurrency_limit"],
    ["concurrency_limit fraction", { concurrency_limit: 1.5 }, "/concurrency_limit"],
    ["depends_on not an array", { depends_on: "x" }, "/depends_on"],
    ["depends_on over 100", { depends_on: Array.from({ length: 101 }, () => crypto.randomUUID()) }, "/depends_on"],
    ["depends_on not a uuid", { depends_on: ["nope"] }, "/depends_on/0"],
    ["depends_on $N outside a batch", { depends_on: ["$0"] }, "/depends_on/0"],
    ["on_dependency_failure unknown", { on_dependency_failure: "ignore" }, "/on_dependency_failure"],
    ["NUL in name", { name: "a\u0000b" }, "/name"],
    ["NUL in command", { command: "echo \u0000" }, "/command"],
    ["NUL in idempotency_key", { idempotency_key: "k\u0000" }, "/idempotency_key"],
    ["lone surrogate in name", { name: "a\ud800" }, "/name"],
    ["unknown field (typo)", { max_retry: 3 }, "/max_retry"],
    ["read-only field", { status: "completed" }, "/status"],
  ];
  test.each(cases)("%s → 422 naming the path", (_case, overrides, path) => {
    const problems = problemsOf({ ...base, ...overrides });
    expect(Object.keys(problems)).toEqual([path]);
    expect(problems[path]!.length).toBeGreaterThan(5);
  });

  const accepted: [string, Record<string, unknown>][] = [
    ["name of 200", { name: big(200) }],
    ["command of exactly 65536 bytes", { command: big(32_768, "é") }],
    ["env of 100 vars", { env: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`V${i}`, "v"])) }],
    ["queue of 64", { queue: big(64, "q") }],
    ["priority bounds", { priority: 100 }],
    ["delay_ms of a year", { delay_ms: 365 * 24 * 3600 * 1000 }],
    ["run_at with offset and no seconds", { run_at: "2030-01-31T12:00+0530" }],
    ["run_at leap day", { run_at: "2028-02-29T00:00:00Z" }],
    ["nulls", { timeout_ms: null, idempotency_key: null }],
    ["backoff_factor 10", { backoff_factor: 10 }],
  ];
  test.each(accepted)("accepts %s", (_case, overrides) => {
    expect(problemsOf({ ...base, ...overrides })).toEqual({});
  });

  test("names every bad field at once, not just the first", () => {
    const problems = problemsOf({ name: "", command: "", priority: 1000, queue: "A", max_retry: 1, run_at: "x", delay_ms: 5 });
    expect(Object.keys(problems).sort()).toEqual(["/command", "/delay_ms", "/max_retry", "/name", "/priority", "/queue", "/run_at"]);
  });

  test("a typo suggests the field it resembles", () => {
    expect(problemsOf({ ...base, max_retry: 3 })["/max_retry"]).toBe("unknown field; did you mean max_retries?");
    expect(problemsOf({ ...base, zzz: 3 })["/zzz"]).toBe("unknown field");
  });

  test("run_at and delay_ms together name both", () => {
    expect(problemsOf({ ...base, run_at: "2030-01-01T00:00:00Z", delay_ms: 10 })).toEqual({
      "/run_at": "give run_at or delay_ms, not both",
      "/delay_ms": "give run_at or delay_ms, not both",
    });
  });

  test("a body that is not an object", () => {
    for (const body of [null, [], "x", 5]) expect(problemsOf(body)).toEqual({ "/": "must be a JSON object" });
  });

  test("field names with / and ~ are escaped in paths (RFC 6901)", () => {
    expect(Object.keys(problemsOf({ ...base, "a/b~c": 1 }))).toEqual(["/a~1b~0c"]);
  });
});

describe("validateTaskBatch", () => {
  test("valid batch", () => {
    const r = validateTaskBatch({ tasks: [base, { ...base, priority: 5 }] });
    expect(r.ok && r.value.map((t) => t.priority)).toEqual([0, 5]);
  });

  test("paths name the item: /tasks/N/field", () => {
    const r = validateTaskBatch({ tasks: [base, base, base, { ...base, priority: 500 }, { name: "x", colour: 1 }] });
    expect(r.ok ? [] : r.problems.map((p) => p.path)).toEqual(["/tasks/3/priority", "/tasks/4/colour", "/tasks/4/command"]);
  });

  test("envelope problems", () => {
    const paths = (b: unknown) => {
      const r = validateTaskBatch(b);
      return r.ok ? [] : r.problems.map((p) => p.path);
    };
    expect(paths([])).toEqual(["/"]);
    expect(paths({})).toEqual(["/tasks"]);
    expect(paths({ tasks: [] })).toEqual(["/tasks"]);
    expect(paths({ tasks: Array(1001).fill(base) })).toEqual(["/tasks"]);
    expect(paths({ tasks: [base], extra: 1 })).toEqual(["/extra"]);
    expect(paths({ tasks: [null] })).toEqual(["/tasks/0"]);
    expect(validateTaskBatch({ tasks: Array(1000).fill(base) }).ok).toBe(true);
  });

  test("caps the problem list of a huge bad batch", () => {
    const r = validateTaskBatch({ tasks: Array(1000).fill({ name: "", command: "" }) });
    expect(r.ok ? 0 : r.problems.length).toBe(MAX_PROBLEMS + 1);
  });
});
