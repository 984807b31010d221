import { expect, test } from "bun:test";
import { COMMON, hasOnlyCommonRare, RARE_COLUMNS, ROW_COLUMNS, rowColumns } from "./row-columns.ts";
import type { RowJson } from "./row-plan.ts";

const plainRow = (o: Partial<RowJson> = {}): RowJson => ({
  id: "7d1c2a4e-0000-4000-8000-000000000000", name: "n", command: "true", env: {}, queue: COMMON.queue, priority: COMMON.priority,
  run_at: null, delay_ms: COMMON.delay_ms, max_retries: COMMON.max_retries, backoff_ms: COMMON.backoff_ms, backoff_factor: COMMON.backoff_factor,
  backoff_max_ms: COMMON.backoff_max_ms, timeout_ms: null, idempotency_key: null, schedule_id: null, created_by: "api", concurrency_key: null,
  concurrency_limit: COMMON.concurrency_limit, on_dependency_failure: COMMON.on_dependency_failure, depends_on: [], blocked_by: COMMON.blocked_by,
  has_dependents: COMMON.has_dependents, selector: null, labels: {}, fanout: null, fanout_retry: COMMON.fanout_retry, pinned_worker: null,
  parent_id: null, ...o,
});

/** An uncommon value for every rare column: a batch where one row has it must send that column. */
const UNCOMMON: Record<string, Partial<RowJson>> = {
  env: { env: { A: "1" } }, queue: { queue: "other" }, priority: { priority: 5 }, delay_ms: { delay_ms: 10 }, max_retries: { max_retries: 0 },
  backoff_ms: { backoff_ms: 5 }, backoff_factor: { backoff_factor: 1.5 }, backoff_max_ms: { backoff_max_ms: 60_000 }, timeout_ms: { timeout_ms: 100 },
  idempotency_key: { idempotency_key: "k" }, schedule_id: { schedule_id: "7d1c2a4e-0000-4000-8000-000000000001" }, concurrency_key: { concurrency_key: "k" },
  concurrency_limit: { concurrency_limit: 3 }, on_dependency_failure: { on_dependency_failure: "run" }, blocked_by: { blocked_by: 2 },
  has_dependents: { has_dependents: true }, selector: { selector: { os: "linux" } }, labels: { labels: { team: "db" } }, fanout: { fanout: "all" },
  fanout_retry: { fanout_retry: "any" }, pinned_worker: { pinned_worker: "w1" }, parent_id: { parent_id: "7d1c2a4e-0000-4000-8000-000000000002" },
};

test("every rare column has an uncommon sample here, and every other column is always looked at", () => {
  expect(new Set(Object.keys(UNCOMMON))).toEqual(new Set(RARE_COLUMNS));
  for (const name of RARE_COLUMNS) expect(ROW_COLUMNS.some((c) => c.name === name)).toBe(true);
});

// The fast path skips the rare columns of a batch whose rows all pass hasOnlyCommonRare: a column it does
// not read would be sent empty, and its values lost.
test("one uncommon value in any rare column takes the batch off the fast path and is sent", () => {
  expect(hasOnlyCommonRare(plainRow())).toBe(true);
  for (const [name, change] of Object.entries(UNCOMMON)) {
    expect(hasOnlyCommonRare(plainRow(change))).toBe(false);
    const literals = rowColumns([plainRow(), plainRow(change)]);
    expect(literals[ROW_COLUMNS.findIndex((c) => c.name === name)]).not.toBe("{}");
  }
});

test("a plain batch sends its rare columns empty, and the rest as quoted or bare elements", () => {
  const literals = rowColumns([plainRow({ name: 'say "hi"', run_at: "2031-01-02T03:04:05.678Z" }), plainRow({ name: "back\\slash" })]);
  const of = (name: string) => literals[ROW_COLUMNS.findIndex((c) => c.name === name)];
  for (const name of RARE_COLUMNS) expect(of(name)).toBe("{}");
  expect(of("name")).toBe('{"say \\"hi\\"","back\\\\slash"}');
  expect(of("run_at")).toBe("{2031-01-02T03:04:05.678Z,NULL}");
  expect(of("notice")).toBe("{0,0}");
});
