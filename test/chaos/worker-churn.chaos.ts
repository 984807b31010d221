// Chaos 1, worker churn: many short tasks on 4 workers × 8 slots while a random
// worker is SIGKILLed every 2 s and restarted 1 s later. The ledger checks hold, no
// task is lost, and a killed worker's attempts are freed within the worker timeout
// + 1 s (p99).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { ChaosCluster, randomInt } from "./chaos-cluster.ts";
import { ledgerCommand } from "./ledger.ts";
import { reassignments, recordResult, summary } from "./report.ts";
import { bySize, WORKER_TIMEOUT_MS } from "./sizes.ts";

const TASKS = bySize(10_000, 1000);
const CHURN_MS = bySize(180_000, 20_000);
const KILL_EVERY_MS = 2000;
const RESTART_AFTER_MS = 1000;
const WORKERS = 4;
const SLOTS = 8;
/** Task length in ms, uniform. */
const SLEEP_MS = bySize([100, 3000], [100, 1500]);

const TESTS = 1;
let cluster: ChaosCluster;
/** Tests that passed; the run folder is removed only when all did. */
let passed = 0;

beforeAll(async () => {
  cluster = await ChaosCluster.start({ name: "churn" });
});

afterAll(async () => {
  await cluster?.stop();
  if (passed === TESTS && !process.env.TASKFLOW_CHAOS_KEEP) cluster?.removeFiles();
  else if (cluster) console.log(`chaos logs kept in ${cluster.dir}`);
});

test(`worker churn: ${TASKS} tasks, a worker SIGKILLed every ${KILL_EVERY_MS} ms for ${CHURN_MS / 1000} s`, async () => {
  const names = Array.from({ length: WORKERS }, (_, i) => `churn-${i + 1}`);
  for (const n of names) cluster.startWorker(n, { concurrency: SLOTS });
  for (const n of names) await cluster.waitWorkerAlive(n);

  const tasks = Array.from({ length: TASKS }, (_, i) => ({
    name: `churn ${i}`,
    command: ledgerCommand({ sleep: (randomInt(SLEEP_MS[0]!, SLEEP_MS[1]!) / 1000).toFixed(2) }),
    env: cluster.ledgerEnv,
    max_retries: 20,
    backoff_ms: 100,
    backoff_factor: 1.5,
    backoff_max_ms: 1000,
  }));
  const accepted = await cluster.submitBatch(tasks);
  expect(accepted).toHaveLength(TASKS);

  const started = Date.now();
  let kills = 0;
  while (Date.now() - started < CHURN_MS) {
    await Bun.sleep(KILL_EVERY_MS);
    const up = names.filter((n) => cluster.workers.get(n)!.running);
    const victim = cluster.workers.get(up[randomInt(0, up.length - 1)]!)!;
    const killedAt = Date.now();
    await victim.killAndWait("SIGKILL");
    kills++;
    cluster.fault("kill", victim.name, killedAt);
    setTimeout(() => victim.start(), RESTART_AFTER_MS);
  }
  await Bun.sleep(RESTART_AFTER_MS + 100);
  const churnEnded = Date.now();

  const counts = await cluster.waitAllFinished(bySize(900_000, 120_000));
  const report = await cluster.check(accepted);
  const r = reassignments(report.tasks, cluster.faults, "kill");
  const detect = summary(r.map((x) => x.detectMs));
  const repick = summary(r.flatMap((x) => (x.repickMs === null ? [] : [x.repickMs])));
  recordResult("worker-churn", {
    tasks: TASKS,
    kills,
    counts,
    drainAfterChurnS: Math.round((Date.now() - churnEnded) / 1000),
    stats: report.stats,
    lostToKillMs: detect,
    killToRepickMs: repick,
    violations: report.violations.length,
  });
  expect(report.violations).toEqual([]);
  expect(counts).toEqual({ completed: TASKS });
  expect(r.length).toBeGreaterThan(0);
  expect(detect.p99).toBeLessThanOrEqual(WORKER_TIMEOUT_MS + 1000);
  passed++;
}, bySize(1_500_000, 200_000));
