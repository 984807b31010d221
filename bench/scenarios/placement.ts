/**
 * placement (issue 19, docs/placement.md): the claim statement itself
 * (db/queries/claim-due-tasks.ts) with 100,000 waiting tasks and 50 workers of
 * different labels. Baseline, same run, same table: the same claims on a queue of
 * 100,000 tasks with no selectors. Placement: a second queue whose 100,000 tasks each
 * carry one of 20 selectors (equality on zone, zone + disk, existence of gpu), with
 * pinned fanout children of every worker waiting too. Each round asks every worker
 * for a batch of 10 from each queue in turn (the dispatcher's call, with the worker's
 * labels), so both see the same machine load; claimed tasks are put back between
 * rounds, untimed, so the backlogs stay the same. The figure is the mean claim time.
 */
import { claimDueTasks } from "../../src/db/queries/claim-due-tasks.ts";
import { openDatabase, type Database } from "../../src/db/client.ts";
import { type BenchContext, withDatabase } from "../support/context.ts";
import { atMostRatio, progress, summary } from "../support/report.ts";
import type { Sql } from "../support/scratch-database.ts";

const BATCH = 10;
const ZONES = 10;
const PINNED_PER_WORKER = 20;

interface BenchWorker {
  id: string;
  name: string;
  labels: Record<string, string>;
}

export async function placementScenario(ctx: BenchContext): Promise<void> {
  const { tasks, workers: workerCount, rounds } = ctx.opts.placement;
  await withDatabase(ctx, "placement", async (db) => {
    const database = await openDatabase({ databaseUrl: db.url, dataDir: "" });
    try {
      const workers = await registerWorkers(db.sql, workerCount);
      progress(`placement: ${tasks} waiting tasks without selectors (queue plain), ${tasks} with 20 selectors and ${PINNED_PER_WORKER} pinned per worker (queue placed)`);
      await loadTasks(db.sql, "plain", tasks, false, workers);
      await loadTasks(db.sql, "placed", tasks, true, workers);
      await db.sql.unsafe("analyze tasks");
      // Interleaved, so that both see the same machine load (a shared machine's load swings by the second).
      const { baseline, placed } = await timeClaims(database, db.sql, workers, rounds);
      const b = summary(baseline);
      const p = summary(placed);
      const mean = (v: number[]) => v.reduce((a, x) => a + x, 0) / v.length;
      ctx.report.add("placement", `claim of ${BATCH}, ${tasks} waiting, ${workerCount} labelled workers (mean)`, mean(placed), "ms", {
        baseline: { name: "same claims, no selectors", value: mean(baseline), unit: "ms" },
        target: atMostRatio(1.5),
        note: `p50 ${p.p50.toFixed(2)} vs ${b.p50.toFixed(2)} ms, p99 ${p.p99.toFixed(2)} vs ${b.p99.toFixed(2)} ms, ${p.n} claims each`,
      });
    } finally {
      await database.close();
    }
  });
}

/** Workers with different labels: zone z0…z9, disk ssd/hdd alternating, a gpu on every fifth. */
async function registerWorkers(db: Sql, n: number): Promise<BenchWorker[]> {
  const out: BenchWorker[] = [];
  for (let i = 0; i < n; i++) {
    const labels: Record<string, string> = { zone: `z${i % ZONES}`, disk: i % 2 === 0 ? "ssd" : "hdd", hostname: `bench-${i}`, os: "linux", arch: "x64" };
    if (i % 5 === 0) labels.gpu = "a100";
    const [row] = await db`insert into workers (name, host, status, queues, concurrency, version, labels)
      values (${`bench-${i}`}, 'bench', 'alive', ${["plain", "placed"]}, 100, 'bench', ${db.json(labels)}) returning id`;
    out.push({ id: row!.id as string, name: `bench-${i}`, labels });
  }
  return out;
}

/** `n` due tasks; with placement, 20 selectors spread over them plus pinned children for every worker. */
async function loadTasks(db: Sql, queue: string, n: number, placed: boolean, workers: BenchWorker[]): Promise<void> {
  const selector = placed
    ? `case i % 20 when 19 then '{"gpu": "*"}'::jsonb
         else jsonb_build_object('zone', 'z' || (i % ${ZONES})) || case when i % 20 >= ${ZONES} then '{"disk": "ssd"}'::jsonb else '{}'::jsonb end end`
    : "null";
  await db.unsafe(`insert into tasks (name, command, status, queue, run_at, selector)
    select 't' || i, 'true', 'scheduled', '${queue}', now() - interval '1 minute' + i * interval '1 microsecond', ${selector}
    from generate_series(1, ${n}) i`);
  if (placed) {
    await db.unsafe(`insert into tasks (name, command, status, queue, run_at, pinned_worker)
      select 'pinned', 'true', 'scheduled', '${queue}', now() - interval '1 minute', 'bench-' || w
      from generate_series(0, ${workers.length - 1}) w, generate_series(1, ${PINNED_PER_WORKER}) k`);
  }
}

/** Milliseconds of each claim, each worker once per round on each queue in turn; picked tasks go back to waiting between rounds. */
async function timeClaims(database: Database, db: Sql, workers: BenchWorker[], rounds: number): Promise<{ baseline: number[]; placed: number[] }> {
  const baseline: number[] = [];
  const placed: number[] = [];
  const claim = async (w: BenchWorker, queue: string, into: number[]) => {
    const t0 = performance.now();
    await claimDueTasks(database.db, { workerId: w.id, workerName: w.name, queues: [queue], limit: BATCH, labels: w.labels });
    into.push(performance.now() - t0);
  };
  for (let r = 0; r < rounds; r++) {
    for (const w of workers) {
      // Alternating which goes first, so neither always follows the other.
      if ((r + workers.indexOf(w)) % 2 === 0) {
        await claim(w, "plain", baseline);
        await claim(w, "placed", placed);
      } else {
        await claim(w, "placed", placed);
        await claim(w, "plain", baseline);
      }
    }
    await db`update tasks set status = 'scheduled', worker_id = null, worker = null, picked_at = null where status = 'picked'`;
  }
  return { baseline, placed };
}
