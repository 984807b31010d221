/**
 * output: live output under load (issue 15), on a split cluster over PostgreSQL.
 *
 * 1. Flood: one task prints `--output-mb` MB as fast as it can (`yes | head -c`),
 *    then one last line carrying the time it was written. Figures: how much the
 *    worker's and the coordinator's RSS grow (targets < 50 MB), how long after its
 *    writing a follower of the log (`?follow=1`, as the dashboard) sees the last
 *    line (target < 1 s), and the start latency of other tasks meanwhile against
 *    the same figure idle (target ≤ 2×).
 * 2. Chatter: `--chatty-tasks` tasks each print a line every 10 ms for
 *    `--chatty-seconds` s. First unfollowed: output write statements per second
 *    (each append statement sends one NOTIFY taskflow_output, which the bench counts;
 *    target ≤ 40/s), and all committed transactions per second in the database
 *    (pg_stat_database.xact_commit, reads and the bench's own polling included)
 *    against the same tasks sleeping silently.
 *    Then again with a follower per task: line latency from writing to the follower
 *    (p99 target 250 ms). Followers' reads are not counted: they only read.
 * Lines carry their write time (perl's Time::HiRes: no process per line).
 */
import { submitOne } from "../support/api-client.ts";
import { type BenchContext, withCluster, withDatabase } from "../support/context.ts";
import { atMost, progress, quantile, summary } from "../support/report.ts";
import type { ScratchDatabase } from "../support/scratch-database.ts";
import { rssMb, sampleRss, type Cluster } from "../support/taskflow-processes.ts";

export async function outputScenario(ctx: BenchContext): Promise<void> {
  await withDatabase(ctx, "output", async (db) => {
    await withCluster(ctx, db, "split", async (cluster) => {
      await flood(ctx, db, cluster);
      await chatter(ctx, db, cluster);
    });
  });
}

async function flood(ctx: BenchContext, db: ScratchDatabase, cluster: Cluster): Promise<void> {
  const mb = ctx.opts.output.floodMb;
  const idle = await startLatencies(db, cluster, 20);
  const worker = cluster.process("worker").proc.pid;
  const coordinator = cluster.process("coordinator").proc.pid;
  const before = { worker: rssMb(worker), coordinator: rssMb(coordinator) };
  const peaks = { worker: sampleRss(worker), coordinator: sampleRss(coordinator) };
  progress(`output: a task printing ${mb} MB`);
  const command = `yes 'taskflow output flood line, long enough to look like a log line of a real task' | head -c ${mb * 1_000_000}; perl -MTime::HiRes=time -e 'printf "\\nlast-line %.3f\\n", time*1000'`;
  const id = await submitOne(cluster.baseUrl, { name: "output flood", command });
  const follower = followLines(cluster.baseUrl, id, /last-line ([\d.]+)/);
  const during = await startLatencies(db, cluster, 20);
  const [lastSeen] = await follower.done;
  const growth = { worker: peaks.worker.stop() - before.worker, coordinator: peaks.coordinator.stop() - before.coordinator };
  ctx.report.add("output", `worker RSS growth, one task printing ${mb} MB`, growth.worker, "MB", { target: atMost(50, "MB") });
  ctx.report.add("output", `coordinator RSS growth, one task printing ${mb} MB`, growth.coordinator, "MB", { target: atMost(50, "MB") });
  ctx.report.add("output", "last line: written → seen by a log follower", lastSeen ?? Number.NaN, "ms", { target: atMost(1000, "ms") });
  ctx.report.add("output", "start latency p50 of other tasks during the flood", quantile(during, 0.5), "ms", {
    baseline: { name: "same, idle", value: quantile(idle, 0.5), unit: "ms" },
    target: (f) => ({ text: "≤ 2× idle", met: f.value <= 2 * Math.max(quantile(idle, 0.5), 1) }),
  });
}

async function chatter(ctx: BenchContext, db: ScratchDatabase, cluster: Cluster): Promise<void> {
  const { chattyTasks: n, chattySeconds: seconds } = ctx.opts.output;
  const lines = seconds * 100;
  progress(`output: ${n} tasks sleeping silently for ${seconds} s (baseline)`);
  const silent = await xactRate(db, async () => {
    const ids = await Promise.all(Array.from({ length: n }, (_, i) => submitOne(cluster.baseUrl, { name: `silent ${i}`, command: `sleep ${seconds}` })));
    await waitDone(db, ids, seconds * 1000 + 60_000);
  });
  const command = `perl -MTime::HiRes=time,sleep -e '$|=1; for (1..${lines}) { printf "line %.3f\\n", time*1000; sleep 0.01 }'`;
  const submitChatty = () => Promise.all(Array.from({ length: n }, (_, i) => submitOne(cluster.baseUrl, { name: `chatty ${i}`, command })));
  progress(`output: ${n} tasks printing a line every 10 ms for ${seconds} s`);
  let appends = 0;
  const listener = await db.sql.listen("taskflow_output", (payload) => {
    if (!payload.includes(":end")) appends++;
  });
  const t0 = performance.now();
  const chatty = await xactRate(db, async () => waitDone(db, await submitChatty(), seconds * 1000 + 60_000));
  const appendRate = appends / ((performance.now() - t0) / 1000);
  await listener.unlisten();
  ctx.report.add("output", `output write statements/s, ${n} tasks printing every 10 ms`, appendRate, "/s", { target: atMost(40, "/s") });
  progress(`output: the same, each followed`);
  const latencies: number[] = [];
  const ids = await submitChatty();
  const followers = ids.map((id) => followLines(cluster.baseUrl, id, /line ([\d.]+)/));
  for (const f of followers) latencies.push(...(await f.done));
  await waitDone(db, ids, 60_000);
  ctx.report.add("output", `all database transactions/s (reads included), ${n} tasks printing every 10 ms`, chatty, "/s", {
    baseline: { name: "the same tasks silent", value: silent, unit: "/s" },
  });
  const s = summary(latencies);
  ctx.report.add("output", `line written → seen by a follower, p99 (${s.n} lines)`, s.p99, "ms", { target: atMost(250, "ms") });
  ctx.report.add("output", "line written → seen by a follower, p50", s.p50, "ms");
}

/** Follows a task's log over SSE; `done` resolves at its outcome with, per line matching `stamp`, the ms from its writing to its arrival. */
function followLines(baseUrl: string, taskId: string, stamp: RegExp): { done: Promise<number[]> } {
  const done = (async () => {
    const res = await fetch(`${baseUrl}/api/tasks/${taskId}/log?follow=1&stream=stdout`);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const out: number[] = [];
    let buffer = "";
    let text = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return out;
      const now = performance.timeOrigin + performance.now();
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (frame.includes("event: outcome")) {
          void reader.cancel();
          return out;
        }
        const data = frame.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
        if (!frame.includes("event: output") || !data) continue;
        text += (JSON.parse(data) as { text: string }).text;
        const lines = text.split("\n");
        text = lines.pop()!;
        for (const line of lines) {
          const m = stamp.exec(line);
          if (m) out.push(now - Number(m[1]));
        }
      }
    }
  })();
  return { done };
}

/** Submit-to-start of `n` quick tasks sent 50 ms apart (started_at − created_at). */
async function startLatencies(db: ScratchDatabase, cluster: Cluster, n: number): Promise<number[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    ids.push(await submitOne(cluster.baseUrl, { name: `probe ${i}`, command: "true" }));
    await Bun.sleep(50);
  }
  await waitDone(db, ids, 60_000);
  const rows = await db.sql<{ ms: number }[]>`
    select extract(epoch from started_at - created_at) * 1000 as ms from tasks where id = any(${ids}::uuid[])`;
  return rows.map((r) => Number(r.ms));
}

async function waitDone(db: ScratchDatabase, ids: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const [r] = await db.sql<{ n: string }[]>`select count(*) as n from tasks where id = any(${ids}::uuid[]) and finished_at is not null`;
    if (Number(r!.n) === ids.length) return;
    await Bun.sleep(100);
  }
  throw new Error(`${ids.length} tasks did not finish within ${timeoutMs} ms`);
}

/** Committed transactions per second in the scratch database while `fn` runs. */
async function xactRate(db: ScratchDatabase, fn: () => Promise<void>): Promise<number> {
  const read = async () => Number((await db.sql<{ n: string }[]>`select xact_commit as n from pg_stat_database where datname = current_database()`)[0]!.n);
  // The statistics collector reports with a delay: let it settle on both ends.
  await Bun.sleep(600);
  const n0 = await read();
  const t0 = performance.now();
  await fn();
  const seconds = (performance.now() - t0) / 1000;
  await Bun.sleep(600);
  return ((await read()) - n0) / seconds;
}
