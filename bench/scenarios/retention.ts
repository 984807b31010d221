/**
 * retention: a big backlog of finished tasks past retention (the scale scenario's
 * history, moved a day further back) is pruned by the coordinator while a live load
 * of one POST /api/tasks every 1/rate s runs. Figures: how long the pruner takes to
 * remove the backlog, submit→started_at of the live load meanwhile against the same
 * load on the same table with pruning off (same run), and the lock waits longer than
 * 50 ms that PostgreSQL logged in the bench database (log_lock_waits with
 * deadlock_timeout = 50 ms, set on that database only). Waits on rows, tuples and
 * tables are what a pruner could cause (claims waiting on rows it holds); waits on
 * the NOTIFY commit lock (object 0 of pg_database) come from committing NOTIFYs
 * at once, which the pruner never sends, and are counted apart, with and without pruning.
 */
import { openSync, readSync, statSync, closeSync } from "node:fs";
import { nowMs, submitOne } from "../support/api-client.ts";
import { type BenchContext, withCluster, withDatabase } from "../support/context.ts";
import { atMost, atMostRatio, progress, summary } from "../support/report.ts";
import { waitFinished, type ScratchDatabase } from "../support/scratch-database.ts";
import type { Cluster } from "../support/taskflow-processes.ts";
import { loadHistory } from "./scale.ts";

/** The server log with the lock waits (Debian's default for PostgreSQL 15); BENCH_PG_LOG overrides. */
const PG_LOG = process.env.BENCH_PG_LOG ?? "/var/log/postgresql/postgresql-15-main.log";
const LOCK_WAIT_MS = 50;
const RETENTION_OFF = ["--retain-completed=forever", "--retain-failed=forever", "--retain-cancelled=forever", "--retain-workers=forever"];
/** The history is 1 to 8 days old: a 1-day policy covers all of it and none of the live load. */
const RETENTION_ON = ["--retain-completed=1d", "--retain-failed=1d"];

export async function retentionScenario(ctx: BenchContext): Promise<void> {
  const { history, rate, baselineSeconds, deadlineSeconds } = ctx.opts.retention;
  await withDatabase(ctx, "retention", async (db) => {
    progress(`retention: loading ${history} finished tasks, 1–8 days old`);
    const t0 = performance.now();
    await loadHistory(db.sql, history, 0, 1);
    progress(`retention: loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await db.sql.unsafe(`alter database ${db.name} set log_lock_waits = on`);
    await db.sql.unsafe(`alter database ${db.name} set deadlock_timeout = '${LOCK_WAIT_MS}ms'`);

    const baselineLog = logSize();
    const baseline = await withCluster(ctx, db, "all", (cluster) => {
      progress(`retention: baseline, pruning off, ${rate}/s for ${baselineSeconds} s`);
      const until = Date.now() + baselineSeconds * 1000;
      return liveLoad(db, cluster, rate, async () => Date.now() >= until, "bench retention baseline");
    }, { args: RETENTION_OFF });

    const logStart = logSize();
    let pruneSeconds = Number.NaN;
    const run = await withCluster(ctx, db, "all", (cluster) => {
      progress(`retention: pruning ${history} tasks under ${rate}/s, at most ${deadlineSeconds} s`);
      const started = performance.now();
      const deadline = Date.now() + deadlineSeconds * 1000;
      return liveLoad(db, cluster, rate, async () => {
        const [r] = await db.sql<{ n: string }[]>`select coalesce((select removed from prune_totals where table_name = 'tasks'), 0) as n`;
        if (Number(r!.n) >= history) {
          pruneSeconds = (performance.now() - started) / 1000;
          return true;
        }
        return Date.now() >= deadline;
      }, "bench retention live");
    }, { args: RETENTION_ON });

    const [left] = await db.sql<{ n: string }[]>`select count(*) as n from tasks where worker = 'bench-history'`;
    const remaining = Number(left!.n);
    ctx.report.add("retention", `prune ${history.toLocaleString("en-US")} finished tasks (with attempts, events) under ${rate}/s`, pruneSeconds, "s", {
      target: atMost(deadlineSeconds, "s"),
      note: Number.isNaN(pruneSeconds)
        ? `${remaining} left at the deadline`
        : `${Math.round(history / pruneSeconds).toLocaleString("en-US")} tasks/s, incl. the pruner's 5 s start delay`,
    });
    const base = (k: "p50" | "p99") => ({ name: `same load, pruning off, ${k}`, value: baseline[k], unit: "ms" });
    ctx.report.add("retention", "submit→started_at p50 while pruning", run.p50, "ms", { baseline: base("p50"), note: `n=${run.n}` });
    const vacuums = await db.sql<{ relname: string; at: number }[]>`
      select relname, extract(epoch from last_autovacuum) * 1000 as at from pg_stat_user_tables
      where relname in ('tasks', 'task_attempts', 'task_events') and last_autovacuum >= ${run.startedAt} order by last_autovacuum`;
    const autovacuum = vacuums.map((v) => `${v.relname} done +${((Number(v.at) - run.startedAt.getTime()) / 1000).toFixed(0)} s`).join(", ") || "none";
    ctx.report.add("retention", "submit→started_at p99 while pruning", run.p99, "ms", {
      baseline: base("p99"),
      target: atMostRatio(1.5),
      note: `max ${run.max.toFixed(1)} ms; slowest seconds ${run.slowest} (pruning off: ${baseline.slowest}); autovacuum ${autovacuum}`,
    });
    const waits = lockWaits(logStart, Number.POSITIVE_INFINITY, db.name);
    const before = lockWaits(baselineLog, logStart, db.name);
    ctx.report.add("retention", `row/table lock waits > ${LOCK_WAIT_MS} ms while pruning`, waits === null ? Number.NaN : waits.rows, "waits", {
      target: waits === null ? undefined : atMost(0, "waits"),
      note: waits === null ? `${PG_LOG} not readable: not checked` : waits.rows ? waits.samples.join("; ") : "log_lock_waits on, deadlock_timeout 50 ms",
    });
    if (waits && before) {
      const perMinute = (n: number, seconds: number) => (n * 60) / Math.max(1, seconds);
      ctx.report.add("retention", `  context: NOTIFY commit lock waits > ${LOCK_WAIT_MS} ms while pruning`, perMinute(waits.notify, run.seconds), "waits/min", {
        baseline: { name: "same load, pruning off", value: perMinute(before.notify, baseline.seconds), unit: "waits/min" },
        note: `${waits.notify} in ${run.seconds.toFixed(0)} s; row/table waits with pruning off: ${before.rows}`,
      });
    }
  });
}

/**
 * One POST /api/tasks every 1/rate s (open loop) until `stop()` says so (asked once
 * a second), after 50 warm-up tasks; returns submit→started_at of the measured ones.
 */
async function liveLoad(db: ScratchDatabase, cluster: Cluster, rate: number, stop: () => Promise<boolean>, label: string) {
  const warmSince = new Date();
  for (let i = 0; i < 50; i++) await submitOne(cluster.baseUrl, { name: `${label} warm-up ${i}`, command: "true" });
  await waitFinished(db.sql, warmSince, 50, 30_000);
  const since = new Date(Date.now() - 1);
  const sentAt = new Map<string, number>();
  const pending: Promise<void>[] = [];
  let done = false;
  const poller = (async () => {
    while (!done) {
      await Bun.sleep(1000);
      if (await stop()) done = true;
    }
  })();
  const intervalMs = 1000 / rate;
  const t0 = performance.now();
  for (let i = 0; !done; i++) {
    const wait = t0 + i * intervalMs - performance.now();
    if (wait > 0) await Bun.sleep(wait);
    const sent = nowMs();
    pending.push(submitOne(cluster.baseUrl, { name: `${label} ${i}`, command: "true" }).then((id) => void sentAt.set(id, sent)));
  }
  await poller;
  await Promise.all(pending);
  const seconds = (performance.now() - t0) / 1000;
  await waitFinished(db.sql, since, sentAt.size, 120_000);
  const rows = await db.sql<{ id: string; started: number }[]>`
    select id, extract(epoch from started_at) * 1000 as started from tasks where created_at >= ${since} and name like ${`${label} %`}`;
  const startMs = performance.timeOrigin + t0;
  const samples = rows.flatMap((r) => (sentAt.has(r.id) ? [{ at: sentAt.get(r.id)! - startMs, ms: Number(r.started) - sentAt.get(r.id)! }] : []));
  return { ...summary(samples.map((x) => x.ms)), seconds, slowest: slowestSeconds(samples), startedAt: new Date(startMs) };
}

/** The 3 seconds of the load whose submissions waited longest to start: "+41 s: 4.3 s". */
function slowestSeconds(samples: { at: number; ms: number }[]): string {
  const worst = new Map<number, number>();
  for (const x of samples) worst.set(Math.floor(x.at / 1000), Math.max(worst.get(Math.floor(x.at / 1000)) ?? 0, x.ms));
  return [...worst].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([sec, ms]) => `+${sec} s: ${ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`}`).join(", ");
}

function logSize(): number {
  try {
    return statSync(PG_LOG).size;
  } catch {
    return -1;
  }
}

/** Lock waits PostgreSQL logged for database `name` between bytes `from` and `to` of its log, by kind. */
function lockWaits(from: number, to: number, name: string): { rows: number; notify: number; samples: string[] } | null {
  if (from < 0) return null;
  let text: string;
  try {
    const fd = openSync(PG_LOG, "r");
    const end = Math.min(to, statSync(PG_LOG).size);
    const buf = Buffer.alloc(Math.max(0, end - from));
    readSync(fd, buf, 0, buf.length, from);
    closeSync(fd);
    text = buf.toString("utf8");
  } catch {
    return null;
  }
  const lines = text.split("\n");
  const samples: string[] = [];
  let rows = 0;
  let notify = 0;
  lines.forEach((line, i) => {
    if (!line.includes(`@${name} `) || !line.includes("still waiting for")) return;
    // The global lock that serialises commits of NOTIFYing transactions.
    if (line.includes("of class 1262 of database 0")) return void notify++;
    rows++;
    const stmt = lines.slice(i + 1, i + 4).find((l) => l.includes("STATEMENT:"));
    samples.push(`${line.replace(/^.*LOG:\s*/, "").slice(0, 80)} — ${(stmt ?? "").replace(/^.*STATEMENT:\s*/, "").replace(/\s+/g, " ").slice(0, 60)}`);
  });
  return { rows, notify, samples: samples.slice(0, 5) };
}
