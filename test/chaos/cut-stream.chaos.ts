// Chaos 6, cut stream: three workers reach the coordinator through TCP proxies the
// test controls; the proxies stop forwarding (both directions, worker → coordinator
// only, coordinator → worker only) for longer than gRPC keepalive takes to notice.
// Each worker is declared dead, its tasks are retried on a healthy worker, and after
// the heal it rejoins as a new session whose old messages are refused.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { ChaosCluster } from "./chaos-cluster.ts";
import { ledgerCommand, readLedger } from "./ledger.ts";
import { recordResult } from "./report.ts";
import { bySize } from "./sizes.ts";
import { TcpProxy, type Direction } from "./tcp-proxy.ts";
import { waitFor } from "../support/processes.ts";
import { KEEPALIVE_TIME_MS, KEEPALIVE_TIMEOUT_MS } from "../../src/proto/credentials.ts";

/** Long enough for keepalive to notice on both ends (a ping after KEEPALIVE_TIME_MS, unanswered for KEEPALIVE_TIMEOUT_MS). */
const CUT_MS = KEEPALIVE_TIME_MS + KEEPALIVE_TIMEOUT_MS + 3000;
/** Tasks per cut worker. */
const TASKS = bySize(8, 2);
const CUTS: Array<{ name: string; directions: Direction[] }> = [
  { name: "cut-both", directions: ["up", "down"] },
  { name: "cut-up", directions: ["up"] },
  { name: "cut-down", directions: ["down"] },
];

const TESTS = 2;
let cluster: ChaosCluster;
let report: Awaited<ReturnType<ChaosCluster["check"]>> | null = null;
const proxies: TcpProxy[] = [];
/** Tests that passed; the run folder is removed only when all did. */
let passed = 0;

beforeAll(async () => {
  cluster = await ChaosCluster.start({ name: "cut" });
});

afterAll(async () => {
  for (const p of proxies) await p.stop();
  await cluster?.stop();
  if (passed === TESTS && !process.env.TASKFLOW_CHAOS_KEEP) cluster?.removeFiles();
  else if (cluster) console.log(`chaos logs kept in ${cluster.dir}`);
});

test(`cut stream: links silent for ${CUT_MS} ms in both, up and down directions`, async () => {
  const [host, port] = cluster.coordinatorAddresses[0]!.split(":") as [string, string];
  const sessions = new Map<string, string>();
  for (const c of CUTS) {
    const proxy = new TcpProxy(host, Number(port));
    proxies.push(proxy);
    await proxy.start();
    cluster.startWorker(c.name, { concurrency: TASKS, queues: c.name, coordinators: [`127.0.0.1:${proxy.port}`] });
  }
  for (const c of CUTS) sessions.set(c.name, await cluster.waitWorkerAlive(c.name));
  // The first attempt outlives the cut; a rerun lasts past the heal, so the ledger shows how long both ran.
  const command = `if [ "$TASKFLOW_ATTEMPT" = 1 ]; then S=120; else S=${CUT_MS / 1000 + 3}; fi; ${ledgerCommand({ sleep: "$S" })}`;
  const accepted = await cluster.submitBatch(
    CUTS.flatMap((c) => Array.from({ length: TASKS }, (_, i) => ({ name: `${c.name} ${i}`, command, env: cluster.ledgerEnv, queue: c.name, backoff_ms: 100 }))),
  );
  await waitFor("every task to run on its cut worker", async () => (await cluster.statusCounts()).running === accepted.length, 20_000);
  cluster.startWorker("healthy", { concurrency: TASKS * CUTS.length, queues: CUTS.map((c) => c.name).join(",") });
  await cluster.waitWorkerAlive("healthy");

  const cutAt = Date.now();
  CUTS.forEach((c, i) => proxies[i]!.cut(...c.directions));
  await Bun.sleep(CUT_MS);
  for (const p of proxies) p.heal();
  const healAt = Date.now();
  for (const c of CUTS) cluster.fault(`cut ${c.directions.join("+")}`, c.name, cutAt, healAt);

  const counts = await cluster.waitAllFinished(60_000);
  // Each cut worker comes back as a new session, and its first runs are stopped.
  for (const c of CUTS) await cluster.waitWorkerAlive(c.name, healAt - 1000, 30_000);
  await waitFor("the old runs to be stopped", () => readLedger(cluster.ledgerPath).runs.filter((r) => r.attempt === 1).every((r) => r.end !== null), 30_000);
  await waitFor("every late result to be refused", () => accepted.every((id) => cluster.coordinatorLog().includes(`refused result of task ${id} attempt 1`)), 30_000);
  report = await cluster.check(accepted, { faultSlackMs: 20_000 });
  const runs = readLedger(cluster.ledgerPath).runs;

  const figures: Record<string, unknown> = {};
  for (const c of CUTS) {
    const log = cluster.workers.get(c.name)!.log();
    const old = await cluster.sql<{ status: string; dead_ms: number }[]>`
      select status, (extract(epoch from stopped_at) * 1000)::float8 - ${cutAt} as dead_ms from workers where id = ${sessions.get(c.name)!}`;
    const lostLine = log.split("\n").find((l) => l.includes("lost coordinator") || l.includes("ended this worker's session"));
    const firstRunsEnd = runs.filter((r) => r.worker === c.name && r.attempt === 1).map((r) => r.end! - cutAt);
    figures[c.name] = {
      declaredDeadAfterCutMs: Math.round(old[0]!.dead_ms),
      firstRunsStoppedAfterCutMs: Math.max(...firstRunsEnd),
      workerNoticedAfterCutMs: lostLine ? Date.parse(JSON.parse(lostLine).time) - cutAt : null,
      workerNoticed: lostLine ? JSON.parse(lostLine).message : null,
    };
    expect(old[0]!.status).toBe("dead");
    expect(lostLine).toBeDefined();
  }
  recordResult("cut-stream", { cutMs: CUT_MS, tasksPerWorker: TASKS, ...figures, stats: report.stats, overlaps: overlapViolations() });
  expect(report.violations.filter((v) => !isOverlap(v))).toEqual([]);
  expect(counts).toEqual({ completed: accepted.length });
  for (const t of report.tasks.values()) expect(t.attempts.map((a) => a.status)).toEqual(["lost", "completed"]);
  passed++;
}, 180_000);

const isOverlap = (v: string) => v.includes("ran together");
const overlapViolations = () => (report?.violations ?? []).filter(isOverlap);

// The worker fences itself: the coordinator acknowledges every heartbeat, and a worker
// that hears nothing for a whole worker timeout stops its attempts, so a cut in either
// direction never lets the retried run overlap the first for long.
test("cut stream: no two runs of a task overlap longer than the worker timeout + kill grace", () => {
  expect(report).not.toBeNull();
  expect(overlapViolations()).toEqual([]);
  passed++;
});
