// Chaos 2, zombie: a worker running tasks is SIGSTOPped for 3× the worker timeout,
// then SIGCONTinued. Each task was reassigned exactly once, the zombie's late results
// and its old session are refused, and the zombie kills its own child processes.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { ChaosCluster, processRuns } from "./chaos-cluster.ts";
import { ledgerCommand, readLedger } from "./ledger.ts";
import { recordResult } from "./report.ts";
import { bySize, WORKER_TIMEOUT_MS } from "./sizes.ts";
import { waitFor } from "../support/processes.ts";

/** Tasks on the zombie (one per slot). */
const TASKS = bySize(8, 4);
const FREEZE_MS = 3 * WORKER_TIMEOUT_MS;

const TESTS = 1;
let cluster: ChaosCluster;
/** Tests that passed; the run folder is removed only when all did. */
let passed = 0;

beforeAll(async () => {
  cluster = await ChaosCluster.start({ name: "zombie" });
});

afterAll(async () => {
  await cluster?.stop();
  if (passed === TESTS && !process.env.TASKFLOW_CHAOS_KEEP) cluster?.removeFiles();
  else if (cluster) console.log(`chaos logs kept in ${cluster.dir}`);
});

test(`zombie: a worker frozen for ${FREEZE_MS} ms with ${TASKS} tasks`, async () => {
  const zombie = cluster.startWorker("zombie", { concurrency: TASKS });
  await cluster.waitWorkerAlive("zombie");
  // The first attempt outlives the freeze; the rerun is short.
  const command = `if [ "$TASKFLOW_ATTEMPT" = 1 ]; then S=60; else S=0.5; fi; ${ledgerCommand({ sleep: "$S" })}`;
  const accepted = await cluster.submitBatch(Array.from({ length: TASKS }, (_, i) => ({ name: `zombie ${i}`, command, env: cluster.ledgerEnv, backoff_ms: 100 })));
  await waitFor("every task to run on the zombie", async () => (await cluster.statusCounts()).running === TASKS, 20_000);
  await waitFor("every run to be in the ledger", () => readLedger(cluster.ledgerPath).runs.length === TASKS);
  const children = readLedger(cluster.ledgerPath).runs.map((r) => r.pid);
  const oldSession = await cluster.waitWorkerAlive("zombie");

  cluster.startWorker("healthy", { concurrency: TASKS });
  await cluster.waitWorkerAlive("healthy");
  const stoppedAt = Date.now();
  zombie.kill("SIGSTOP");
  try {
    await Bun.sleep(FREEZE_MS);
    // While frozen: every task was handed to the healthy worker (and probably finished there).
    const during = await cluster.loadTasks();
    expect([...during.values()].every((t) => t.attempt === 2)).toBe(true);
  } finally {
    zombie.kill("SIGCONT");
  }
  const contAt = Date.now();
  cluster.fault("freeze", "zombie", stoppedAt, contAt);

  const counts = await cluster.waitAllFinished(30_000);
  // The zombie learns its session is dead, comes back as a new one and kills what it still runs.
  await waitFor("the zombie to kill its children", () => children.every((pid) => !processRuns(pid)), 15_000);
  const killedAfterMs = Date.now() - contAt;
  await waitFor("the coordinator to refuse every late result", () => accepted.every((id) => cluster.coordinatorLog().includes(`refused result of task ${id} attempt 1`)), 15_000);
  const report = await cluster.check(accepted);

  const old = await cluster.sql<{ status: string; last_ms: number; stopped_ms: number }[]>`
    select status, (extract(epoch from last_heartbeat_at) * 1000)::float8 as last_ms, (extract(epoch from stopped_at) * 1000)::float8 as stopped_ms
    from workers where id = ${oldSession}`;
  const sessions = await cluster.sql<{ id: string; status: string }[]>`select id, status from workers where name = 'zombie' order by started_at`;
  const log = cluster.coordinatorLog();
  const runs = readLedger(cluster.ledgerPath).runs;
  recordResult("zombie", {
    tasks: TASKS,
    freezeMs: FREEZE_MS,
    childrenKilledWithinMsOfSigcont: killedAfterMs,
    refusedHeartbeats: log.split("refused a heartbeat from zombie").length - 1,
    refusedResults: log.split("refused result of task").length - 1,
    stats: report.stats,
  });
  expect(report.violations).toEqual([]);
  expect(counts).toEqual({ completed: TASKS });
  for (const t of report.tasks.values()) {
    expect(t.attempts.map((a) => [a.attempt, a.status, a.worker])).toEqual([
      [1, "lost", "zombie"],
      [2, "completed", "healthy"],
    ]);
  }
  // The zombie's first runs were stopped by it (TERM), not left to finish.
  expect(runs.filter((r) => r.worker === "zombie").map((r) => r.outcome)).toEqual(Array(TASKS).fill("term"));
  // The old session stays dead, and no heartbeat of the zombie's counted after the freeze; it lives on as a new session.
  expect(old[0]!.status).toBe("dead");
  expect(old[0]!.last_ms).toBeLessThan(contAt);
  expect(old[0]!.last_ms).toBeLessThan(old[0]!.stopped_ms);
  expect(sessions.length).toBe(2);
  expect(sessions[1]!.status).toBe("alive");
  expect(zombie.running).toBe(true);
  passed++;
}, 120_000);
