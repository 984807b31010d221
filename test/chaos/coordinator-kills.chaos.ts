// Chaos 5, coordinator kills: two coordinators, workers dialing both; one
// coordinator is SIGKILLed every few seconds (and restarted) while tasks run. No
// (task, attempt) is dispatched twice, and every task completes.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { ChaosCluster, randomInt } from "./chaos-cluster.ts";
import { ledgerCommand } from "./ledger.ts";
import { recordResult, summary } from "./report.ts";
import { bySize } from "./sizes.ts";

const TASKS = bySize(5000, 500);
const KILL_EVERY_MS = bySize(10_000, 4000);
const WORKERS = 4;
const SLOTS = 8;
const SLEEP_MS = bySize([100, 3000], [100, 1500]);

const TESTS = 1;
let cluster: ChaosCluster;
/** Tests that passed; the run folder is removed only when all did. */
let passed = 0;

beforeAll(async () => {
  cluster = await ChaosCluster.start({ name: "coordinators", coordinators: 2 });
});

afterAll(async () => {
  await cluster?.stop();
  if (passed === TESTS && !process.env.TASKFLOW_CHAOS_KEEP) cluster?.removeFiles();
  else if (cluster) console.log(`chaos logs kept in ${cluster.dir}`);
});

test(`coordinator kills: ${TASKS} tasks, a coordinator SIGKILLed every ${KILL_EVERY_MS} ms`, async () => {
  const [a, b] = cluster.coordinatorAddresses as [string, string];
  const names = Array.from({ length: WORKERS }, (_, i) => `cw-${i + 1}`);
  // Half the workers start on each coordinator.
  names.forEach((n, i) => cluster.startWorker(n, { concurrency: SLOTS, coordinators: i % 2 ? [b, a] : [a, b] }));
  for (const n of names) await cluster.waitWorkerAlive(n);
  const tasks = Array.from({ length: TASKS }, (_, i) => ({
    name: `coord ${i}`,
    command: ledgerCommand({ sleep: (randomInt(SLEEP_MS[0]!, SLEEP_MS[1]!) / 1000).toFixed(2) }),
    env: cluster.ledgerEnv,
    max_retries: 20,
    backoff_ms: 100,
    backoff_factor: 1.5,
    backoff_max_ms: 1000,
  }));
  const accepted = await cluster.submitBatch(tasks);

  const restartMs: number[] = [];
  let kills = 0;
  const started = Date.now();
  for (;;) {
    await Bun.sleep(KILL_EVERY_MS);
    const counts = await cluster.statusCounts();
    if ((counts.scheduled ?? 0) + (counts.picked ?? 0) + (counts.running ?? 0) === 0) break;
    const victim = cluster.coordinators[kills % 2]!;
    const killedAt = Date.now();
    await victim.killAndWait("SIGKILL");
    kills++;
    victim.start();
    await cluster.waitCoordinatorListening(victim);
    restartMs.push(Date.now() - killedAt);
    // Every worker may lose attempts in flight through the dead coordinator.
    cluster.fault("coordinator kill", "*", killedAt, Date.now());
  }
  const counts = await cluster.waitAllFinished(bySize(900_000, 120_000));
  const report = await cluster.check(accepted);
  const log = cluster.coordinatorLog();
  recordResult("coordinator-kills", {
    tasks: TASKS,
    kills,
    seconds: Math.round((Date.now() - started) / 1000),
    coordinatorRestartMs: summary(restartMs),
    workerReconnects: log.split("reconnected (").length - 1,
    workerDeaths: log.split("declared dead").length - 1,
    counts,
    stats: report.stats,
  });
  expect(report.violations).toEqual([]);
  expect(counts).toEqual({ completed: TASKS });
  expect(kills).toBeGreaterThanOrEqual(2);
  passed++;
}, bySize(1_200_000, 200_000));
