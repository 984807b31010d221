/**
 * run-path-cost: what PostgreSQL spends per task on the run path alone (the claim, the
 * start report, the result), driven through the query functions of a checkout, so two
 * checkouts' statements can be compared on the same server minutes apart without the
 * processes, the spawns and the machine's load in the figure:
 *
 *   bun bench/run-path-cost.ts --root=/path/to/checkout --url=postgres://…/postgres [--tasks=4000] [--batch=16] [--fold]
 *
 * Each round claims `batch` tasks for one worker, writes their starts in one statement and
 * their results in another, as a saturated coordinator does (`--fold`: no start statement,
 * each result carries its start, as report-writer.ts does when the result comes first;
 * only checkouts that have foldedStart). Prints one JSON line: CPU ms of the database's
 * backends, WAL bytes, statements, task_events rows and HOT updates, per task. The server
 * must be otherwise idle for the WAL figure (it is the server's LSN that moves).
 */
import { parseArgs } from "node:util";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";

const { values } = parseArgs({
  options: { root: { type: "string" }, url: { type: "string" }, tasks: { type: "string" }, batch: { type: "string" }, fold: { type: "boolean" } },
});
const root = values.root ?? join(import.meta.dir, "..");
const adminUrl = values.url ?? "postgres://postgres@127.0.0.1:5432/postgres";
const tasks = Number(values.tasks ?? 4000);
const batch = Number(values.batch ?? 16);

const { openDatabase } = await import(join(root, "src/db/client.ts"));
const { migrate } = await import(join(root, "src/db/migrate.ts"));
const { claimDueTasks } = await import(join(root, "src/db/queries/claim-due-tasks.ts"));
const { markAttemptsStarted } = await import(join(root, "src/db/queries/mark-attempts-started.ts"));
const { recordAttemptOutcomes } = await import(join(root, "src/db/queries/record-attempt-outcomes.ts"));
const { openWorkerSession } = await import(join(root, "src/db/queries/open-worker-session.ts"));

const name = `taskflow_runcost_${Date.now().toString(36)}`;
const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
await admin.unsafe(`create database ${name}`);
const url = adminUrl.replace(/\/[^/]*$/, `/${name}`);
const database = await openDatabase({ databaseUrl: url, dataDir: "", poolSize: 1, onNotice: () => {} });
const { db } = database;
const sql = postgres(url, { max: 1, onnotice: () => {} });
try {
  await migrate(db);
  await sql`insert into tasks (name, command, status, run_at) select 'noop ' || g, 'true', 'scheduled', now() - interval '1 second' from generate_series(1, ${tasks}) g`;
  const worker = (await openWorkerSession(db, { name: "w", host: "h", pid: 1, queues: ["default"], concurrency: batch, version: "bench", draining: false, coordinator: "bench" }, null)).id;
  await sql.unsafe("vacuum analyze");
  const round = async () => {
    const claimed = await claimDueTasks(db, { workerId: worker, workerName: "w", queues: ["default"], limit: batch });
    const refs = claimed.map((c: { id: string; attempt: number }) => ({ taskId: c.id, attempt: c.attempt, workerId: worker }));
    if (!values.fold) await markAttemptsStarted(db, refs.map((r: object) => ({ ...r, spawnedAtUs: Date.now() * 1000 })));
    await recordAttemptOutcomes(db, refs.map((r: object) => ({
      ...r, attemptStatus: "completed", taskStatus: "completed", delayMs: 0, exitCode: 0, error: null, stdoutTail: "", stderrTail: "",
      startedAt: new Date(), message: null, runMs: 1, ...(values.fold ? { foldedStart: { spawnedAtUs: Date.now() * 1000 } } : {}),
    })));
    return claimed.length;
  };
  await round(); // warm: the pool's connection and its prepared statements
  const pids = (await sql<{ pid: number }[]>`select pid from pg_stat_activity where datname = ${name} and pid <> pg_backend_pid()`).map((r) => r.pid);
  const cpu = () => pids.reduce((ms, pid) => {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ms + ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  }, 0);
  const [{ lsn: lsn0 }] = await sql<{ lsn: string }[]>`select pg_current_wal_lsn()::text as lsn`;
  const cpu0 = cpu();
  const started = performance.now();
  let done = 0;
  for (;;) {
    const n = await round();
    done += n;
    if (n < batch) break;
  }
  const wallMs = performance.now() - started;
  const cpuMs = cpu() - cpu0;
  const [{ bytes }] = await sql<{ bytes: string }[]>`select pg_wal_lsn_diff(pg_current_wal_lsn(), ${lsn0}::pg_lsn)::bigint as bytes`;
  await sql`select pg_stat_force_next_flush()`.catch(() => {});
  const [events] = await sql<{ n: string }[]>`select count(*) as n from task_events`;
  const stats = await sql<{ relname: string; upd: string; hot: string }[]>`
    select relname, n_tup_upd as upd, n_tup_hot_upd as hot from pg_stat_user_tables where relname in ('tasks', 'task_attempts')`;
  const statements = values.fold ? 2 : 3;
  console.log(JSON.stringify({
    root, fold: !!values.fold, tasks: done, batch, load: readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" "),
    pgCpuMsPerTask: +(cpuMs / done).toFixed(4), walBytesPerTask: Math.round(Number(bytes) / done), statementsPerTask: +(statements / batch).toFixed(3),
    eventRowsPerTask: +(Number(events!.n) / (done + batch)).toFixed(2), tasksPerSecond: Math.round(done / (wallMs / 1000)),
    updates: Object.fromEntries(stats.map((s) => [s.relname, { updated: Number(s.upd), hot: Number(s.hot) }])),
  }));
} finally {
  await sql.end();
  await database.close();
  await admin.unsafe(`drop database ${name} with (force)`);
  await admin.end();
}
