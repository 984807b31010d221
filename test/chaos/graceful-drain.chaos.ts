// Chaos 4, graceful drain: SIGTERM a worker running a 5 s task while another is
// idle. The task finishes on the first worker as attempt 1, the draining worker gets
// no new tasks, and past the grace its leftovers are killed and retried, not lost.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { ChaosCluster } from "./chaos-cluster.ts";
import { ledgerCommand } from "./ledger.ts";
import { recordResult } from "./report.ts";
import { bySize } from "./sizes.ts";
import { waitFor } from "../support/processes.ts";

/** Tasks submitted while the first worker drains. */
const DURING = bySize(40, 8);
const GRACE_MS = 1000;

const TESTS = 2;
let cluster: ChaosCluster;
/** Tests that passed; the run folder is removed only when all did. */
let passed = 0;

beforeAll(async () => {
  cluster = await ChaosCluster.start({ name: "drain" });
});

afterAll(async () => {
  await cluster?.stop();
  if (passed === TESTS && !process.env.TASKFLOW_CHAOS_KEEP) cluster?.removeFiles();
  else if (cluster) console.log(`chaos logs kept in ${cluster.dir}`);
});

async function statusOf(name: string): Promise<string | undefined> {
  const r = await cluster.sql<{ status: string }[]>`select status from workers where name = ${name} order by started_at desc limit 1`;
  return r[0]?.status;
}

async function waitRunningOn(id: string, worker: string): Promise<void> {
  await waitFor(`task ${id} to run on ${worker}`, async () => {
    const r = await cluster.sql<{ status: string; worker: string }[]>`select status, worker from tasks where id = ${id}`;
    return r[0]?.status === "running" && r[0].worker === worker;
  }, 20_000);
}

test("graceful drain: the running task finishes as attempt 1, the drainer takes nothing new", async () => {
  const drainer = cluster.startWorker("drainer", { concurrency: 4 });
  await cluster.waitWorkerAlive("drainer");
  const [five] = await cluster.submitBatch([{ name: "five seconds", command: ledgerCommand({ sleep: 5 }), env: cluster.ledgerEnv }]);
  await waitRunningOn(five!, "drainer");
  const idle = cluster.startWorker("idle", { concurrency: 4 });
  await cluster.waitWorkerAlive("idle");

  const termAt = Date.now();
  drainer.kill("SIGTERM");
  await waitFor("the drainer to be draining", async () => (await statusOf("drainer")) === "draining", 5000);
  const during = await cluster.submitBatch(
    Array.from({ length: DURING }, (_, i) => ({ name: `during ${i}`, command: ledgerCommand({ sleep: 0.2 }), env: cluster.ledgerEnv })),
  );
  expect(await drainer.proc.exited).toBe(0);
  const exitedAfterMs = Date.now() - termAt;
  const counts = await cluster.waitAllFinished(30_000);
  const report = await cluster.check([five!, ...during]);
  const t = report.tasks.get(five!)!;
  recordResult("graceful-drain", { drainerExitMsAfterSigterm: exitedAfterMs, tasksDuringDrain: DURING, stats: report.stats });
  expect(report.violations).toEqual([]);
  expect(counts).toEqual({ completed: 1 + DURING });
  expect(t.attempts.map((a) => [a.attempt, a.status, a.worker])).toEqual([[1, "completed", "drainer"]]);
  for (const id of during) expect(report.tasks.get(id)!.attempts.map((a) => a.worker)).toEqual(["idle"]);
  // A drained worker with nothing left leaves at once, not after the worker timeout.
  await waitFor("the coordinator to record the leave", () => cluster.coordinatorLog().includes("worker drainer left after draining"), 5000);
  expect(cluster.coordinatorLog()).not.toContain("worker drainer declared dead");
  expect(await statusOf("drainer")).toBe("dead");
  await idle.killAndWait("SIGTERM");
  passed++;
}, 60_000);

test(`past a ${GRACE_MS} ms grace: leftovers are killed, recorded and retried elsewhere`, async () => {
  // Its own queue, so the first test's workers never matter here.
  const stubborn = cluster.startWorker("stubborn", { concurrency: 2, queues: "grace", extra: [`--shutdown-grace=${GRACE_MS}`] });
  await cluster.waitWorkerAlive("stubborn");
  const command = `if [ "$TASKFLOW_ATTEMPT" = 1 ]; then S=30; else S=0.2; fi; ${ledgerCommand({ sleep: "$S" })}`;
  const ids = await cluster.submitBatch([0, 1].map((i) => ({ name: `leftover ${i}`, command, env: cluster.ledgerEnv, queue: "grace", backoff_ms: 100 })));
  for (const id of ids) await waitRunningOn(id, "stubborn");
  cluster.startWorker("rescuer", { concurrency: 2, queues: "grace" });
  await cluster.waitWorkerAlive("rescuer");
  const termAt = Date.now();
  stubborn.kill("SIGTERM");
  expect(await stubborn.proc.exited).toBe(0);
  const exitedAfterMs = Date.now() - termAt;
  cluster.fault("shutdown past grace", "stubborn", termAt, Date.now());
  await cluster.waitAllFinished(30_000);
  const report = await cluster.check(ids);
  recordResult("graceful-drain-past-grace", { graceMs: GRACE_MS, exitMsAfterSigterm: exitedAfterMs, stats: report.stats });
  expect(report.violations).toEqual([]);
  for (const id of ids) {
    const t = report.tasks.get(id)!;
    expect(t.attempts.map((a) => [a.attempt, a.status, a.worker, a.error])).toEqual([
      [1, "failed", "stubborn", "cancelled: worker shutting down"],
      [2, "completed", "rescuer", null],
    ]);
  }
  passed++;
}, 60_000);
