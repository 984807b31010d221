/**
 * scale: throughput and latency again with a big table, 1,000,000 finished tasks
 * (with their attempts and full timelines) and 100,000 tasks waiting for a future
 * run_at, against the empty-table figures of this run; and how long the dashboard
 * takes to render its overview and task list there.
 */
import { rawStartLatencies } from "../baselines/start-latency.ts";
import { type BenchContext, type LatencySummary, withCluster, withDatabase } from "../support/context.ts";
import { atLeastRatio, atMost, atMostRatio, progress, quantile } from "../support/report.ts";
import { truncateTasks, type Sql } from "../support/scratch-database.ts";
import { measureLatency, reportLatency } from "./latency.ts";
import { measureThroughput } from "./throughput.ts";

export async function scaleScenario(ctx: BenchContext): Promise<void> {
  const { history, future, pageSamples } = ctx.opts.scale;
  const { tasks } = ctx.opts.throughput;
  const { rate, seconds } = ctx.opts.latency;
  const empty = await emptyTableFigures(ctx);

  await withDatabase(ctx, "scale", async (db) => {
    progress(`scale: loading ${history} finished tasks and ${future} future tasks`);
    const t0 = performance.now();
    await loadHistory(db.sql, history, future);
    const loadSeconds = (performance.now() - t0) / 1000;
    progress(`scale: loaded in ${loadSeconds.toFixed(1)} s`);
    const raw = await rawLatencyOnBigTable(db.sql, rate, seconds);

    await withCluster(ctx, db, "all", async (cluster) => {
      progress(`scale: throughput, ${tasks} tasks`);
      const run = await measureThroughput(db, cluster, tasks, "bench scale throughput");
      const big = `${fmtCount(history)} finished + ${fmtCount(future)} future`;
      ctx.report.add("scale", `throughput, ${big}`, run.tasksPerSecond, "tasks/s", {
        baseline: { name: "same, empty table", value: empty.throughput, unit: "tasks/s" },
        target: atLeastRatio(0.9),
        note: `${run.cpu}; history loaded in ${loadSeconds.toFixed(0)} s`,
      });

      progress(`scale: latency, ${rate}/s for ${seconds} s`);
      const lat = await measureLatency(db, cluster, rate, seconds, "bench scale latency");
      ctx.report.add("scale", `submit→started_at p50, ${big}`, lat.submitToStart.p50, "ms", {
        baseline: { name: "same, empty table", value: empty.latency.p50, unit: "ms" },
        target: atMostRatio(1.1),
      });
      ctx.report.add("scale", `submit→started_at p99, ${big}`, lat.submitToStart.p99, "ms", {
        baseline: { name: "same, empty table", value: empty.latency.p99, unit: "ms" },
      });
      reportLatency(ctx, "scale", lat, raw, ", big table");

      progress(`scale: dashboard pages, ${pageSamples} samples each`);
      const healthz = await timeGet(`${cluster.baseUrl}/healthz`, pageSamples);
      const base = { name: "GET /healthz p50", value: healthz.p50, unit: "ms" };
      for (const path of ["/", "/tasks", "/api/tasks?limit=50", "/api/metrics"]) {
        const t = await timeGet(`${cluster.baseUrl}${path}`, pageSamples);
        const page = !path.startsWith("/api");
        ctx.report.add("scale", `GET ${path} p50`, t.p50, "ms", {
          baseline: base,
          target: page ? atMost(100, "ms") : undefined,
          note: `max ${t.max.toFixed(1)} ms`,
        });
      }
    });
  });
}

/** The empty-table throughput and latency of this run, measuring them here if their scenarios did not run. */
async function emptyTableFigures(ctx: BenchContext): Promise<{ throughput: number; latency: LatencySummary }> {
  const { tasks } = ctx.opts.throughput;
  const { rate, seconds } = ctx.opts.latency;
  if (ctx.results.throughputAll === undefined || ctx.results.latency === undefined) {
    await withDatabase(ctx, "scale_empty", (db) =>
      withCluster(ctx, db, "all", async (cluster) => {
        progress("scale: empty-table throughput and latency (their scenarios did not run)");
        ctx.results.throughputAll ??= (await measureThroughput(db, cluster, tasks, "bench empty throughput")).tasksPerSecond;
        ctx.results.latency ??= (await measureLatency(db, cluster, rate, seconds, "bench empty latency")).submitToStart;
      }),
    );
  }
  return { throughput: ctx.results.throughputAll!, latency: ctx.results.latency! };
}

/** The raw start-latency path again, on the big table (its claim walks the same index). */
async function rawLatencyOnBigTable(sql: Sql, rate: number, seconds: number): Promise<LatencySummary> {
  const l = await rawStartLatencies(sql, rate, seconds);
  await sql`delete from tasks where name like 'raw latency %'`;
  return { p50: quantile(l, 0.5), p95: quantile(l, 0.95), p99: quantile(l, 0.99), max: quantile(l, 1) };
}

/**
 * Loads the history with set-based INSERT ... SELECT generate_series: finished tasks
 * spread over the last 7 days (2% failed), each with one attempt and its five
 * events, and future tasks due over the day after tomorrow with their two events.
 * Triggers (the NOTIFY on task_events) and FK checks are off for the load only.
 * `olderByDays` moves the whole history that much further into the past.
 */
export async function loadHistory(sql: Sql, history: number, future: number, olderByDays = 0): Promise<void> {
  await truncateTasks(sql);
  await sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    await tx`set local maintenance_work_mem = '256MB'`;
    // Secondary indexes are built once at the end: much faster than 6 million scattered inserts.
    const indexes = await tx<{ name: string; def: string }[]>`
      select indexname as name, indexdef as def from pg_indexes
      where schemaname = 'public' and tablename in ('tasks', 'task_attempts', 'task_events')
        and indexname not in (select conname from pg_constraint)`;
    for (const i of indexes) await tx.unsafe(`drop index ${i.name}`);
    await tx`
      insert into tasks (id, name, command, queue, priority, run_at, status, attempt, worker, created_at, picked_at,
                         started_at, finished_at, exit_code, error, updated_at)
      select gen_random_uuid(), 'history ' || g, 'echo ' || g, 'default', 0, c, s, 1, 'bench-history', c,
             c + interval '5 ms', c + interval '10 ms', c + interval '60 ms',
             case when s = 'failed' then 1 else 0 end, case when s = 'failed' then 'exit code 1' end, c + interval '60 ms'
      from generate_series(1, ${history}::int) g,
           lateral (select now() - interval '7 days' + (g::float8 / ${history}) * interval '7 days' - interval '1 minute'
                           - ${olderByDays}::int * interval '1 day' as c,
                           case when g % 50 = 0 then 'failed' else 'completed' end as s) x`;
    await tx`
      insert into task_attempts (task_id, attempt, worker, status, picked_at, started_at, finished_at, exit_code, error, stdout_tail)
      select id, 1, worker, status, picked_at, started_at, finished_at, exit_code, error, name from tasks`;
    await tx`
      insert into task_events (task_id, attempt, status, at, worker)
      select t.id, e.attempt, e.status, t.created_at + e.offset_ms * interval '1 ms', case when e.attempt > 0 then t.worker end
      from tasks t,
           lateral (values (0, 'created', 0), (0, 'scheduled', 0), (1, 'picked', 5), (1, 'running', 10), (1, t.status, 60))
             as e(attempt, status, offset_ms)
      order by t.created_at`;
    await tx`
      insert into tasks (name, command, queue, priority, run_at, status, created_at)
      select 'future ' || g, 'true', 'default', 0, now() + interval '2 days' + g * interval '1 second', 'scheduled', now() - interval '1 hour'
      from generate_series(1, ${future}::int) g`;
    await tx`
      insert into task_events (task_id, attempt, status, at)
      select t.id, 0, e.kind, t.created_at from tasks t, (values ('created'), ('scheduled')) as e(kind) where t.status = 'scheduled'`;
    for (const i of indexes) await tx.unsafe(i.def);
  });
  await sql`vacuum analyze tasks`;
  await sql`vacuum analyze task_attempts`;
  await sql`vacuum analyze task_events`;
  // A long-lived table has no 1.5 GB of fresh writes waiting for a checkpoint; flush them
  // now rather than in the middle of the measurement (needs a superuser; skipped if not).
  await sql`checkpoint`.catch(() => {});
}

async function timeGet(url: string, samples: number): Promise<{ p50: number; max: number }> {
  const times: number[] = [];
  for (let i = 0; i <= samples; i++) {
    const t0 = performance.now();
    const r = await fetch(url);
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`GET ${url} answered ${r.status}`);
    if (i > 0) times.push(performance.now() - t0);
  }
  return { p50: quantile(times, 0.5), max: quantile(times, 1) };
}

function fmtCount(n: number): string {
  return n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n);
}
