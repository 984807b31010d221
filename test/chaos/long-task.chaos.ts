// Chaos 3, long task on a live worker: tasks running 3× the worker timeout on a
// worker that keeps heartbeating are never reassigned, duplicated or touched, even
// with the other slots of the same worker busy with short tasks.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { ChaosCluster } from "./chaos-cluster.ts";
import { ledgerCommand } from "./ledger.ts";
import { recordResult } from "./report.ts";
import { bySize, WORKER_TIMEOUT_MS } from "./sizes.ts";

const LONG = bySize(8, 2);
const SHORT = bySize(400, 40);
const LONG_MS = 3 * WORKER_TIMEOUT_MS;

const TESTS = 1;
let cluster: ChaosCluster;
/** Tests that passed; the run folder is removed only when all did. */
let passed = 0;

beforeAll(async () => {
  cluster = await ChaosCluster.start({ name: "long" });
});

afterAll(async () => {
  await cluster?.stop();
  if (passed === TESTS && !process.env.TASKFLOW_CHAOS_KEEP) cluster?.removeFiles();
  else if (cluster) console.log(`chaos logs kept in ${cluster.dir}`);
});

test(`long tasks: ${LONG} tasks of ${LONG_MS} ms beside ${SHORT} short ones, never reassigned`, async () => {
  cluster.startWorker("long-a", { concurrency: LONG + 2 });
  cluster.startWorker("long-b", { concurrency: 2 });
  await cluster.waitWorkerAlive("long-a");
  await cluster.waitWorkerAlive("long-b");
  const long = Array.from({ length: LONG }, (_, i) => ({ name: `long ${i}`, command: ledgerCommand({ sleep: LONG_MS / 1000 }), env: cluster.ledgerEnv, priority: 10 }));
  const short = Array.from({ length: SHORT }, (_, i) => ({ name: `short ${i}`, command: ledgerCommand({ sleep: 0.05 }), env: cluster.ledgerEnv }));
  const accepted = await cluster.submitBatch([...long, ...short]);
  const counts = await cluster.waitAllFinished(LONG_MS + 60_000);
  const report = await cluster.check(accepted);
  const deaths = cluster.coordinatorLog().split("declared dead").length - 1;
  recordResult("long-task", { longTasks: LONG, longMs: LONG_MS, shortTasks: SHORT, deaths, stats: report.stats });
  expect(report.violations).toEqual([]);
  expect(counts).toEqual({ completed: LONG + SHORT });
  expect(report.stats.retriedTasks).toBe(0);
  expect(report.stats.ledgerRuns).toBe(LONG + SHORT);
  expect(deaths).toBe(0);
  passed++;
}, 120_000);
