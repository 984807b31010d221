// Chaos 8, clock: a worker whose clock is hours ahead and one whose clock is a day
// behind (libfaketime, from Debian's `faketime`) are judged alive by their heartbeats
// alone, run long tasks undisturbed, and never leak their time into the record;
// retries wait the backoff formula's delay (by the database clock) within its jitter.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { ChaosCluster, LIBFAKETIME } from "./chaos-cluster.ts";
import { ledgerCommand } from "./ledger.ts";
import { recordResult, summary } from "./report.ts";
import { bySize, WORKER_TIMEOUT_MS } from "./sizes.ts";
import { retryDelayMs } from "../../src/core/retry-policy.ts";

const RETRY_TASKS = bySize(20, 4);
/** Attempts each retry task fails before it succeeds. */
const FAILURES = 3;
const BACKOFF = { backoff_ms: 300, backoff_factor: 2, backoff_max_ms: 1000 };
/** A retry may start this much later than its delay + jitter (the claim, a busy slot). */
const DISPATCH_SLACK_MS = 300;
const LONG_MS = 3 * WORKER_TIMEOUT_MS;
const SKEWS = [
  { name: "ahead", fakeTime: "+3h" },
  { name: "behind", fakeTime: "-1d" },
];

const TESTS = 1;
let cluster: ChaosCluster;
/** Tests that passed; the run folder is removed only when all did. */
let passed = 0;

beforeAll(async () => {
  if (!existsSync(LIBFAKETIME)) throw new Error(`the clock test needs libfaketime (${LIBFAKETIME}): apt-get install -y faketime`);
  cluster = await ChaosCluster.start({ name: "clock" });
});

afterAll(async () => {
  await cluster?.stop();
  if (passed === TESTS && !process.env.TASKFLOW_CHAOS_KEEP) cluster?.removeFiles();
  else if (cluster) console.log(`chaos logs kept in ${cluster.dir}`);
});

test(`clock: workers ${SKEWS.map((s) => s.fakeTime).join(" and ")} off; ${RETRY_TASKS} tasks retried ${FAILURES} times`, async () => {
  for (const s of SKEWS) cluster.startWorker(s.name, { concurrency: RETRY_TASKS + 1, fakeTime: s.fakeTime });
  for (const s of SKEWS) await cluster.waitWorkerAlive(s.name);
  // The skew is real: the worker logs its own time.
  const firstLine = cluster.workers.get("ahead")!.lines()[0]!;
  const skewMs = Date.parse(String(firstLine.time)) - Date.now();
  // The ledger keeps real time: its clock runs without libfaketime.
  const clock = "env -u LD_PRELOAD -u FAKETIME date +%s%3N";
  const long = SKEWS.map((s, i) => ({ name: `long ${i}`, command: ledgerCommand({ sleep: LONG_MS / 1000, clock }), env: cluster.ledgerEnv, priority: 10 }));
  const failing = `if [ "$TASKFLOW_ATTEMPT" -le ${FAILURES} ]; then X=1; else X=0; fi; ${ledgerCommand({ sleep: 0.05, clock, exitCode: "$X" })}`;
  const retried = Array.from({ length: RETRY_TASKS }, (_, i) => ({ name: `retry ${i}`, command: failing, env: cluster.ledgerEnv, max_retries: FAILURES, ...BACKOFF }));
  const accepted = await cluster.submitBatch([...long, ...retried]);
  await cluster.waitAllFinished(60_000);
  // Failed attempts here are the task's own doing (exit 1), not faults: allow them explicitly.
  cluster.fault("exit 1 by design", "*", 0, Number.MAX_SAFE_INTEGER);
  const report = await cluster.check(accepted);

  const gaps: Array<{ retry: number; gapMs: number; minMs: number; maxMs: number }> = [];
  const started: Array<{ ok: boolean; at: string }> = [];
  for (const t of report.tasks.values()) {
    const a = t.attempts;
    for (const x of a) started.push({ ok: x.startedAt !== null && x.startedAt >= x.pickedAt && x.startedAt <= x.finishedAt!, at: `${t.id}#${x.attempt}` });
    for (let n = 1; n < a.length; n++) {
      const base = retryDelayMs({ backoffMs: BACKOFF.backoff_ms, backoffFactor: BACKOFF.backoff_factor, backoffMaxMs: BACKOFF.backoff_max_ms }, n, () => 0);
      gaps.push({ retry: n, gapMs: a[n]!.pickedAt - a[n - 1]!.finishedAt!, minMs: base, maxMs: base * 1.1 + DISPATCH_SLACK_MS });
    }
  }
  const deaths = cluster.coordinatorLog().split("declared dead").length - 1;
  const byRetry = [1, 2, 3].map((n) => ({ retry: n, ...summary(gaps.filter((g) => g.retry === n).map((g) => g.gapMs)), min: Math.round(Math.min(...gaps.filter((g) => g.retry === n).map((g) => g.gapMs))) }));
  recordResult("clock", { skews: SKEWS.map((s) => s.fakeTime), observedSkewMs: skewMs, deaths, retryGapsMs: byRetry, stats: report.stats });
  expect(Math.abs(skewMs)).toBeGreaterThan(3600_000);
  expect(report.violations).toEqual([]);
  expect(deaths).toBe(0);
  // The long tasks ran once, undisturbed.
  for (const id of accepted.slice(0, long.length)) expect(report.tasks.get(id)!.attempts.map((x) => x.status)).toEqual(["completed"]);
  // Each retry waited its delay (never less), and at most its delay + 10% jitter + dispatch slack.
  for (const g of gaps) {
    expect(g.gapMs).toBeGreaterThanOrEqual(g.minMs);
    expect(g.gapMs).toBeLessThanOrEqual(g.maxMs);
  }
  expect(gaps.length).toBe(RETRY_TASKS * FAILURES);
  // Start times come from the database clock, not from the skewed workers.
  expect(started.filter((s) => !s.ok)).toEqual([]);
  passed++;
}, 120_000);
