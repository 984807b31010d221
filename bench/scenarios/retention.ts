/**
 * retention: a big backlog of finished tasks past retention (the scale scenario's
 * history, moved a day further back) is pruned by the coordinator while a live load
 * of one POST /api/tasks every 1/rate s runs.
 *
 * The machine is shared, so pruning and its baseline alternate in one run: the load
 * runs on a cluster with pruning off (`baselineSeconds`), then on one with pruning on
 * (`segmentSeconds`, or until the backlog is gone), off again, and so on, ending with
 * an off segment. Figures: the time the pruning clusters ran until the backlog was
 * gone (their start-ups included), submit→started_at of the live load with pruning on
 * against off (pooled, and each segment in the notes; the seconds of each pruning
 * segment before its first batch are left out), the lock waits longer than 50 ms that
 * PostgreSQL logged in the bench database (log_lock_waits with deadlock_timeout =
 * 50 ms, set on that database only), and what the database's backends waited on,
 * sampled from pg_stat_activity every 250 ms (including any statement blocked by the
 * pruner's, from pg_blocking_pids). Waits on rows, tuples and tables are what a pruner
 * could cause (claims waiting on rows it holds); waits on the NOTIFY commit lock
 * (object 0 of pg_database) come from committing NOTIFYs at once, which the pruner
 * never sends, and are counted apart.
 */
import { openSync, readSync, statSync, closeSync } from "node:fs";
import { nowMs, submitOne } from "../support/api-client.ts";
import { type BenchContext, withCluster, withDatabase } from "../support/context.ts";
import { atMost, atMostRatio, progress, quantile, summary } from "../support/report.ts";
import { BENCH_APPLICATION_NAME, waitFinished, type ScratchDatabase } from "../support/scratch-database.ts";
import type { Cluster } from "../support/taskflow-processes.ts";
import { loadHistory } from "./scale.ts";

/** The server log with the lock waits (Debian's default for PostgreSQL 15); BENCH_PG_LOG overrides. */
const PG_LOG = process.env.BENCH_PG_LOG ?? "/var/log/postgresql/postgresql-15-main.log";
const LOCK_WAIT_MS = 50;
const RETENTION_OFF = ["--retain-completed=forever", "--retain-failed=forever", "--retain-cancelled=forever", "--retain-workers=forever"];
/** The history is 1 to 8 days old: a 1-day policy covers all of it and none of the live load. */
const RETENTION_ON = ["--retain-completed=1d", "--retain-failed=1d"];
/** A median start latency this long with pruning off means the load outran the machine (a quiet one: ~15 ms). */
const SATURATED_P50_MS = 1000;
/** What marks the pruner's statement in pg_stat_activity. */
const PRUNE_STATEMENT = "%with doomed as%";

interface Segment {
  pruning: boolean;
  /** submit→started_at of each measured task, ms. */
  samples: number[];
  seconds: number;
  /** The cluster's whole life (start-up to stop), s. */
  lifeSeconds: number;
  slowest: string;
  startedAt: Date;
  waits: WaitSample;
  walBytes: number;
  logFrom: number;
  logTo: number;
}

export async function retentionScenario(ctx: BenchContext): Promise<void> {
  const { history, rate, baselineSeconds, segmentSeconds, deadlineSeconds } = ctx.opts.retention;
  await withDatabase(ctx, "retention", async (db) => {
    progress(`retention: loading ${history} finished tasks, 1–8 days old`);
    const t0 = performance.now();
    await loadHistory(db.sql, history, 0, 1);
    progress(`retention: loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await db.sql.unsafe(`alter database ${db.name} set log_lock_waits = on`);
    await db.sql.unsafe(`alter database ${db.name} set deadlock_timeout = '${LOCK_WAIT_MS}ms'`);

    const segments: Segment[] = [];
    let pruningSeconds = 0;
    let gone = false;
    const wallStart = performance.now();
    const pruned = async () => {
      const [r] = await db.sql<{ n: string }[]>`select coalesce((select removed from prune_totals where table_name = 'tasks'), 0) as n`;
      return Number(r!.n);
    };
    while (true) {
      progress(`retention: segment ${segments.length + 1}, pruning off, ${rate}/s for ${baselineSeconds} s`);
      const until = Date.now() + baselineSeconds * 1000;
      segments.push(await segment(ctx, db, false, rate, async () => Date.now() >= until));
      if (gone || pruningSeconds >= deadlineSeconds) break;
      const budget = Math.min(segmentSeconds, deadlineSeconds - pruningSeconds);
      progress(`retention: segment ${segments.length + 1}, pruning on, ${rate}/s for at most ${budget.toFixed(0)} s (${(await pruned()).toLocaleString("en-US")} of ${history.toLocaleString("en-US")} pruned)`);
      const ends = Date.now() + budget * 1000;
      const s = await segment(ctx, db, true, rate, async () => {
        gone = (await pruned()) >= history;
        return gone || Date.now() >= ends;
      }, pruned);
      segments.push(s);
      pruningSeconds += s.lifeSeconds;
    }
    const wallSeconds = (performance.now() - wallStart) / 1000;
    report(ctx, db, segments, { history, rate, deadlineSeconds, gone, pruningSeconds, wallSeconds });
  });
}

/** Starts a cluster with pruning on or off, runs the live load until `stop()`, and samples what the database waited on. */
async function segment(
  ctx: BenchContext,
  db: ScratchDatabase,
  pruning: boolean,
  rate: number,
  stop: () => Promise<boolean>,
  pruned?: () => Promise<number>,
): Promise<Segment> {
  const born = performance.now();
  const logFrom = logSize();
  const wal0 = await walBytes(db);
  const sampler = new WaitSampler(db);
  const label = `bench retention ${pruning ? "on" : "off"} ${born.toFixed(0)}`;
  const load = await withCluster(ctx, db, "all", async (cluster) => {
    // In a pruning segment, what was sent before the first batch (the pruner starts 5 s after its coordinator) is not counted.
    let firstBatch = Number.POSITIVE_INFINITY;
    const before = pruned ? await pruned() : 0;
    const result = await liveLoad(db, cluster, rate, async () => {
      if (pruned && firstBatch === Number.POSITIVE_INFINITY && (await pruned()) > before) firstBatch = performance.timeOrigin + performance.now();
      return stop();
    }, label);
    return { ...result, samples: result.samples.filter((x) => !pruned || x.sentAt >= firstBatch) };
  }, { args: pruning ? RETENTION_ON : RETENTION_OFF });
  const lifeSeconds = (performance.now() - born) / 1000;
  const waits = await sampler.stop();
  return {
    pruning,
    samples: load.samples.map((x) => x.ms),
    seconds: load.seconds,
    lifeSeconds,
    slowest: slowestSeconds(load.samples),
    startedAt: load.startedAt,
    waits,
    walBytes: (await walBytes(db)) - wal0,
    logFrom,
    logTo: logSize(),
  };
}

function report(
  ctx: BenchContext,
  db: ScratchDatabase,
  segments: Segment[],
  r: { history: number; rate: number; deadlineSeconds: number; gone: boolean; pruningSeconds: number; wallSeconds: number },
): void {
  const on = segments.filter((s) => s.pruning);
  const off = segments.filter((s) => !s.pruning);
  ctx.report.add("retention", `prune ${r.history.toLocaleString("en-US")} finished tasks (with attempts, events) under ${r.rate}/s`, r.gone ? r.pruningSeconds : Number.NaN, "s", {
    target: atMost(r.deadlineSeconds, "s"),
    note: r.gone
      ? `${Math.round(r.history / r.pruningSeconds).toLocaleString("en-US")} tasks/s over ${on.length} pruning segment(s), their start-ups and the pruner's 5 s start delay included; ${r.wallSeconds.toFixed(0)} s with the baseline segments`
      : `not all gone after ${r.pruningSeconds.toFixed(0)} s of pruning`,
  });
  const pooled = (ss: Segment[]) => summary(ss.flatMap((s) => s.samples));
  const a = pooled(on);
  const b = pooled(off);
  const p99s = (ss: Segment[]) => ss.map((s) => fmtMs(quantile(s.samples, 0.99))).join(", ");
  const base = (k: "p50" | "p99") => ({ name: `same load, pruning off (${off.length} segments), ${k}`, value: b[k], unit: "ms" });
  ctx.report.add("retention", "submit→started_at p50 while pruning", a.p50, "ms", { baseline: base("p50"), note: `n=${a.n} (off: ${b.n})` });
  ctx.report.add("retention", "submit→started_at p99 while pruning", a.p99, "ms", {
    baseline: base("p99"),
    target: atMostRatio(1.5),
    note: `${b.p50 > SATURATED_P50_MS ? `the machine did not keep up with ${r.rate}/s even with pruning off (p50 ${fmtMs(b.p50)}): both sides measure a growing queue, not the pruner; ` : ""}max ${a.max.toFixed(1)} ms; p99 per segment, on: ${p99s(on)}; off: ${p99s(off)}; slowest seconds on: ${on.map((s) => s.slowest).join(" | ")}`,
  });
  // One bad minute of a shared machine (another tenant's burst) can set a pooled p99 on either side;
  // the median of the segments' own p99s is the steadier comparison.
  const medianP99 = (ss: Segment[]) => quantile(ss.map((s) => quantile(s.samples, 0.99)), 0.5);
  ctx.report.add("retention", "submit→started_at p99 while pruning, median of segments", medianP99(on), "ms", {
    baseline: { name: "pruning off, median of segments", value: medianP99(off), unit: "ms" },
    target: atMostRatio(1.5),
    note: `${on.length} pruning segments, ${off.length} without`,
  });
  const waits = sumLockWaits(on, db.name);
  const before = sumLockWaits(off, db.name);
  const blocked = on.reduce((n, s) => n + s.waits.blockedByPruner, 0);
  ctx.report.add("retention", `row/table lock waits > ${LOCK_WAIT_MS} ms while pruning`, waits === null ? Number.NaN : waits.rows, "waits", {
    target: waits === null ? undefined : atMost(0, "waits"),
    note: `${waits === null ? `${PG_LOG} not readable: not checked` : waits.rows ? waits.samples.join("; ") : "log_lock_waits on, deadlock_timeout 50 ms"}; statements seen blocked by the pruner's (pg_blocking_pids, every 250 ms): ${blocked}`,
  });
  const seconds = (ss: Segment[]) => ss.reduce((t, s) => t + s.seconds, 0);
  if (waits && before) {
    const perMinute = (n: number, s: number) => (n * 60) / Math.max(1, s);
    ctx.report.add("retention", `  context: NOTIFY commit lock waits > ${LOCK_WAIT_MS} ms while pruning`, perMinute(waits.notify, seconds(on)), "waits/min", {
      baseline: { name: "same load, pruning off", value: perMinute(before.notify, seconds(off)), unit: "waits/min" },
      note: `${waits.notify} in ${seconds(on).toFixed(0)} s; row/table waits with pruning off: ${before.rows}`,
    });
  }
  const walRate = (ss: Segment[]) => ss.reduce((t, s) => t + s.walBytes, 0) / 1e6 / Math.max(1, ss.reduce((t, s) => t + s.lifeSeconds, 0));
  ctx.report.add("retention", "  context: WAL written while pruning (whole server)", walRate(on), "MB/s", {
    baseline: { name: "pruning off", value: walRate(off), unit: "MB/s" },
  });
  ctx.report.add("retention", "  context: taskflow backends active, per sample, while pruning", meanActive(on), "backends", {
    baseline: { name: "pruning off", value: meanActive(off), unit: "backends" },
    note: `on: ${topWaits(on)}; off: ${topWaits(off)}`,
  });
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
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
  const samples = rows.flatMap((r) => (sentAt.has(r.id) ? [{ at: sentAt.get(r.id)! - startMs, sentAt: sentAt.get(r.id)!, ms: Number(r.started) - sentAt.get(r.id)! }] : []));
  return { samples, seconds, startedAt: new Date(startMs) };
}

interface WaitSample {
  /** Samples taken. */
  n: number;
  /** "who wait" → backends seen, summed over the samples (who: taskflow, pruner, autovacuum; wait: CPU or the wait event). */
  seen: Map<string, number>;
  /** Statements seen waiting on a lock held by the pruner's statement. */
  blockedByPruner: number;
}

/** Samples pg_stat_activity of the bench database every 250 ms on one connection of its own. */
class WaitSampler {
  private readonly result: WaitSample = { n: 0, seen: new Map(), blockedByPruner: 0 };
  private running = true;
  private readonly loop: Promise<void>;

  constructor(private readonly db: ScratchDatabase) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const rows = await this.db.sql<{ who: string; what: string; n: string; blocked: string }[]>`
        select case when a.backend_type = 'autovacuum worker' then 'autovacuum'
                    when a.query like ${PRUNE_STATEMENT} then 'pruner' else 'taskflow' end as who,
               coalesce(a.wait_event_type || ':' || a.wait_event, 'CPU') as what, count(*) as n,
               count(*) filter (where a.wait_event_type = 'Lock' and exists (
                 select 1 from pg_stat_activity h where h.pid = any(pg_blocking_pids(a.pid)) and h.query like ${PRUNE_STATEMENT})) as blocked
        from pg_stat_activity a
        where a.datname = ${this.db.name} and a.pid <> pg_backend_pid() and a.application_name <> ${BENCH_APPLICATION_NAME}
          and (a.state = 'active' or a.backend_type = 'autovacuum worker')
        group by 1, 2`.catch(() => []);
      this.result.n++;
      for (const r of rows) {
        const key = `${r.who} ${r.what}`;
        this.result.seen.set(key, (this.result.seen.get(key) ?? 0) + Number(r.n));
        this.result.blockedByPruner += Number(r.blocked);
      }
      await Bun.sleep(250);
    }
  }

  async stop(): Promise<WaitSample> {
    this.running = false;
    await this.loop;
    return this.result;
  }
}

/** Mean taskflow backends active per sample (waiting or on CPU). */
function meanActive(ss: Segment[]): number {
  const n = ss.reduce((t, s) => t + s.waits.n, 0);
  let seen = 0;
  for (const s of ss) for (const [k, v] of s.waits.seen) if (k.startsWith("taskflow ")) seen += v;
  return seen / Math.max(1, n);
}

/** The most frequent (who, wait) pairs as mean backends per sample: "taskflow Lock:object 2.1, pruner CPU 0.4". */
function topWaits(ss: Segment[]): string {
  const n = ss.reduce((t, s) => t + s.waits.n, 0);
  const all = new Map<string, number>();
  for (const s of ss) for (const [k, v] of s.waits.seen) all.set(k, (all.get(k) ?? 0) + v);
  return [...all].sort((x, y) => y[1] - x[1]).slice(0, 6).map(([k, v]) => `${k} ${(v / Math.max(1, n)).toFixed(2)}`).join(", ");
}

/** The server's WAL position in bytes (every database's writes, not only the bench's). */
async function walBytes(db: ScratchDatabase): Promise<number> {
  const [r] = await db.sql<{ b: string }[]>`select pg_current_wal_lsn() - '0/0'::pg_lsn as b`;
  return Number(r!.b);
}

function sumLockWaits(ss: Segment[], name: string): { rows: number; notify: number; samples: string[] } | null {
  const total = { rows: 0, notify: 0, samples: [] as string[] };
  for (const s of ss) {
    const w = lockWaits(s.logFrom, s.logTo, name);
    if (w === null) return null;
    total.rows += w.rows;
    total.notify += w.notify;
    total.samples.push(...w.samples);
  }
  return { ...total, samples: total.samples.slice(0, 5) };
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
