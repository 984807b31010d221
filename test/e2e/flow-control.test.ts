// Flow control on real processes (docs/flow-control.md): concurrency keys across two
// coordinators (PostgreSQL) with stamps from the workers' own processes, run-after
// chains released without polling delay, a queue pause under load, and the schedule
// overlap policies and run-now.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { POLL_MS } from "../../src/coordinator/dispatcher.ts";
import { rows } from "../../src/db/sql.ts";
import { FlowCluster } from "../support/flow-cluster.ts";
import { waitFor } from "../support/processes.ts";
import { processRuns } from "../support/worker-cluster.ts";

let c: FlowCluster;
const stamps = mkdtempSync(join(tmpdir(), "taskflow-flow-stamps-"));
beforeAll(async () => {
  c = await FlowCluster.start();
  // 4 workers x 4 slots on the keyed queue, 2 x 2 on the others (shared machine: fewer processes).
  await c.startWorkers(4, "keyed", 4);
  await c.startWorkers(2, "default,paused", 2);
});
afterAll(async () => {
  await c?.stop();
  rmSync(stamps, { recursive: true, force: true });
});

/** Overlap of [start, end] intervals: the most open at any instant. */
function maxOverlap(intervals: [number, number][]): number {
  const edges = intervals.flatMap(([s, e]) => [[s, 1], [e, -1]] as [number, number][]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let max = 0;
  for (const [, d] of edges) max = Math.max(max, (open += d));
  return max;
}

test("200 tasks with one concurrency key (limit 3): never more than 3 picked or running, by database samples and the processes' own stamps; all complete", async () => {
  const log = join(stamps, "keyed.log");
  const command = `echo "s $TASK $(date +%s%N)" >> ${log}; sleep 0.05; echo "e $TASK $(date +%s%N)" >> ${log}`;
  const batch = await c.api("POST", "/api/tasks/batch", {
    tasks: Array.from({ length: 200 }, (_, i) => ({ name: `k${i}`, command, env: { TASK: String(i) }, queue: "keyed", concurrency_key: "env-prod", concurrency_limit: 3 })),
  });
  let maxSampled = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const n = c.database
        ? Number(rows<{ n: number }>(await c.database.db.execute(sql`select count(*)::int as n from tasks where concurrency_key = 'env-prod' and status in ('picked', 'running')`))[0]!.n)
        : ((q) => (q ? q.counts.picked + q.counts.running : 0))((await c.api("GET", "/api/queues")).queues.find((q: { name: string }) => q.name === "keyed"));
      maxSampled = Math.max(maxSampled, n);
      // PGlite serves every query of its one process in turn: sample it less often.
      await Bun.sleep(c.database ? 5 : 100);
    }
  })();
  const done = await c.waitFinished(batch.tasks.map((t: { id: string }) => t.id), 120_000);
  sampling = false;
  await sampler;
  expect(done.every((t) => t.status === "completed")).toBe(true);
  const byTask = new Map<string, [number, number]>();
  for (const line of readFileSync(log, "utf8").trim().split("\n")) {
    const [kind, task, ns] = line.split(" ");
    const at = Number(BigInt(ns!) / 1000n) / 1000;
    const span = byTask.get(task!) ?? [0, 0];
    span[kind === "s" ? 0 : 1] = at;
    byTask.set(task!, span);
  }
  expect(byTask.size).toBe(200);
  expect(maxOverlap([...byTask.values()])).toBeLessThanOrEqual(3);
  expect(maxOverlap([...byTask.values()])).toBeGreaterThanOrEqual(2);
  expect(maxSampled).toBeLessThanOrEqual(3);
}, 180_000);

test("a 3-step chain runs in order, each child started by its parent's end rather than the dispatcher's poll; a diamond runs its join once", async () => {
  const chain = await c.api("POST", "/api/tasks/batch", {
    tasks: [{ name: "one", command: "sleep 0.2" }, { name: "two", command: "sleep 0.2", depends_on: ["$0"] }, { name: "three", command: "true", depends_on: ["$1"] }],
  });
  const [one, two, three] = await c.waitFinished(chain.tasks.map((t: { id: string }) => t.id));
  for (const [parent, child] of [[one, two], [two, three]]) {
    expect(child.status).toBe("completed");
    const gap = Date.parse(child.attempts[0].started_at) - Date.parse(parent.finished_at);
    expect(gap).toBeGreaterThanOrEqual(0);
    // Tens of milliseconds on a quiet machine. A child left to the dispatcher's poll waits
    // a random part of POLL_MS (2 s): past this bound three times in four for each link,
    // while a loaded machine (test files run two at a time) stays well inside it.
    expect(gap).toBeLessThan(POLL_MS / 4);
  }
  const diamond = await c.api("POST", "/api/tasks/batch", {
    tasks: [
      { name: "a", command: "true" },
      { name: "b", command: "sleep 0.1", depends_on: ["$0"] },
      { name: "c", command: "sleep 0.3", depends_on: ["$0"] },
      { name: "d", command: "true", depends_on: ["$1", "$2"] },
    ],
  });
  const [, , cTask, d] = await c.waitFinished(diamond.tasks.map((t: { id: string }) => t.id));
  expect(d.status).toBe("completed");
  expect(d.attempts).toHaveLength(1);
  expect(Date.parse(d.attempts[0].started_at)).toBeGreaterThanOrEqual(Date.parse(cTask.finished_at));
});

test("a failed parent cancels its child; with on_dependency_failure=run the child runs", async () => {
  const r = await c.api("POST", "/api/tasks/batch", {
    tasks: [
      { name: "broken", command: "exit 3", max_retries: 0 },
      { name: "never", command: "true", depends_on: ["$0"] },
      { name: "cleanup", command: "true", depends_on: ["$0"], on_dependency_failure: "run" },
    ],
  });
  const [broken, never, cleanup] = await c.waitFinished(r.tasks.map((t: { id: string }) => t.id));
  expect(broken.status).toBe("failed");
  expect(never).toMatchObject({ status: "cancelled", error: `dependency ${broken.id} failed`, attempts: [] });
  expect(cleanup.status).toBe("completed");
});

test("pause under load: no task of the paused queue is picked after the pause is acknowledged; resume runs the rest", async () => {
  const batch = await c.api("POST", "/api/tasks/batch", { tasks: Array.from({ length: 60 }, (_, i) => ({ name: `p${i}`, command: "sleep 0.05", queue: "paused" })) });
  const ids: string[] = batch.tasks.map((t: { id: string }) => t.id);
  await waitFor("some tasks to complete", async () => (await c.api("GET", "/api/tasks?queue=paused&status=completed&limit=500")).tasks.length >= 5, 30_000, 20);
  const paused = await c.api("POST", "/api/queues/paused/pause");
  const ack = Date.parse(paused.paused_at);
  expect(paused.paused).toBe(true);
  // Let anything that could still slip through run: the live ones finish, the rest wait.
  await waitFor("the live tasks to finish", async () => {
    const q = (await c.api("GET", "/api/queues")).queues.find((x: { name: string }) => x.name === "paused");
    return q.counts.picked + q.counts.running === 0;
  }, 20_000);
  await Bun.sleep(300); // a window in which a wrongly claimed task would show up; nothing is awaited
  const waiting = (await c.api("GET", "/api/tasks?queue=paused&status=scheduled&limit=500")).tasks;
  expect(waiting.length).toBeGreaterThan(0);
  expect(waiting.every((t: { waiting_reason: string }) => t.waiting_reason === "queue paused is paused")).toBe(true);
  await c.api("POST", "/api/queues/paused/resume");
  const all = await c.waitFinished(ids);
  expect(all.every((t) => t.status === "completed")).toBe(true);
  // Tasks that waited out the pause were picked after the resume: nothing else may be picked between.
  const resumedAt = Math.min(...waiting.map((w: { id: string }) => Date.parse(all.find((t) => t.id === w.id)!.picked_at)));
  const slipped = all.filter((t) => Date.parse(t.picked_at) > ack && Date.parse(t.picked_at) < resumedAt);
  expect(slipped).toEqual([]);
}, 120_000);

test("schedule overlap on an every-second cron with 2.5 s runs: skip and queue_one never overlap, replace kills the live process, allow overlaps; run-now runs at once", async () => {
  await c.startWorkers(2, "sched", 4);
  const pids = join(stamps, "replace.pids");
  const make = (overlap: string, command: string) =>
    c.api("POST", "/api/schedules", { name: `overlap-${overlap}`, cron: "* * * * * *", overlap, task: { command, queue: "sched", max_retries: 0 } });
  const [skip, queueOne, replace, allow] = await Promise.all([
    make("skip", "sleep 2.5"),
    make("queue_one", "sleep 2.5"),
    make("replace", `echo $$ >> ${pids}; exec sleep 30`),
    make("allow", "sleep 2.5"),
  ]);
  const now = await c.api("POST", `/api/schedules/${skip.id}/run`);
  expect(now.idempotency_key).toStartWith(`schedule:${skip.id}:manual:`);
  await Bun.sleep(6000); // the schedules tick for six seconds; nothing to wait on
  for (const s of [skip, queueOne, replace, allow]) await c.api("PATCH", `/api/schedules/${s.id}`, { paused: true });
  const runs = async (id: string) => (await c.api("GET", "/api/tasks?limit=500")).tasks.filter((t: { schedule_id: string }) => t.schedule_id === id);
  // The replace schedule's last run sleeps on: cancel it, then every run has ended.
  for (const t of await runs(replace.id)) if (!["completed", "failed", "cancelled"].includes(t.status)) await c.api("POST", `/api/tasks/${t.id}/cancel`);
  const ended = async (id: string) => c.waitFinished((await runs(id)).map((t: { id: string }) => t.id), 30_000);
  const spans = (ts: any[]) => ts.filter((t) => t.attempts[0]?.started_at).map((t) => [Date.parse(t.attempts[0].started_at), Date.parse(t.attempts[0].finished_at)] as [number, number]);
  const outcomes = async (id: string) => (await c.api("GET", `/api/schedules/${id}/ticks`)).ticks.map((t: { outcome: string }) => t.outcome);

  const skipped = await ended(skip.id);
  expect(maxOverlap(spans(skipped.filter((t) => !t.idempotency_key.includes(":manual:"))))).toBe(1);
  expect(await outcomes(skip.id)).toContain("skipped");
  expect(await outcomes(skip.id)).toContain("manual");
  expect(skipped.find((t) => t.id === now.id).status).toBe("completed");

  const queued = await ended(queueOne.id);
  expect(maxOverlap(spans(queued))).toBe(1);
  expect(queued.length).toBeGreaterThanOrEqual(2);
  expect(await outcomes(queueOne.id)).toContain("queued");
  expect((await c.api("GET", `/api/schedules/${queueOne.id}/ticks`)).ticks.some((t: { message: string | null }) => t.message?.endsWith("is already queued"))).toBe(true);

  const replaced = await ended(replace.id);
  expect(replaced.filter((t) => t.error === "replaced by the next run of its schedule").length).toBeGreaterThanOrEqual(2);
  expect(await outcomes(replace.id)).toContain("replaced");
  const started = readFileSync(pids, "utf8").trim().split("\n").map(Number);
  expect(started.length).toBeGreaterThanOrEqual(2);
  await waitFor("every replaced process to be gone", () => started.every((pid) => !processRuns(pid)), 15_000);

  const allowed = await ended(allow.id);
  expect(maxOverlap(spans(allowed))).toBeGreaterThanOrEqual(2);
}, 120_000);
