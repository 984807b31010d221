/**
 * One fresh PostgreSQL database per scenario: created on the admin URL's server,
 * migrated by the taskflow binary itself (`taskflow migrate`), dropped at the end.
 * The benchmark reads results straight from it with postgres.js.
 */
import postgres from "postgres";

export type Sql = postgres.Sql;

/** The benchmark's own connections say so, to keep them out of taskflow's CPU figures. */
export const BENCH_APPLICATION_NAME = "taskflow-bench";

export interface ScratchDatabase {
  url: string;
  name: string;
  /** A postgres.js client on the database (pool of 10, like taskflow's). */
  sql: Sql;
  drop(): Promise<void>;
}

/** Databases made and not yet dropped, so an interrupted run can still drop them. */
const undropped = new Map<string, () => Promise<void>>();

/** Drops every scratch database this run still holds (on Ctrl-C). */
export async function dropAllScratchDatabases(): Promise<void> {
  await Promise.allSettled([...undropped.values()].map((drop) => drop()));
}

/** A fresh database; migrated by `command migrate` unless `command` is null (a peer's database: it migrates itself). */
export async function createScratchDatabase(adminUrl: string, label: string, command: string[] | null): Promise<ScratchDatabase> {
  const name = `taskflow_bench_${label}_${Date.now().toString(36)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  if (command) migrate(command, url);
  const sql = postgres(url.toString(), { max: 10, onnotice: () => {}, connection: { application_name: BENCH_APPLICATION_NAME } });
  const drop = async () => {
    undropped.delete(name);
    await sql.end({ timeout: 5 }).catch(() => {});
    const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
    try {
      await a.unsafe(`drop database if exists ${name} with (force)`);
    } finally {
      await a.end();
    }
  };
  undropped.set(name, drop);
  return { url: url.toString(), name, sql, drop };
}

function migrate(command: string[], url: URL): void {
  const run = Bun.spawnSync([...command, "migrate", `--database-url=${url}`], {
    cwd: new URL("../..", import.meta.url).pathname,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, TASKFLOW_LOG_LEVEL: "warn" },
  });
  if (run.exitCode !== 0) {
    throw new Error(`taskflow migrate failed (${run.exitCode}): ${run.stderr.toString()}${run.stdout.toString()}`);
  }
}

/** VACUUM ANALYZE after a warm-up: every system in a comparison starts from fresh statistics. */
export async function vacuumAnalyze(sql: Sql): Promise<void> {
  await sql.unsafe("vacuum analyze");
}

/** Empties the task tables between a baseline and the measured run. */
export async function truncateTasks(sql: Sql): Promise<void> {
  await sql`truncate tasks, task_attempts, task_output_chunks, task_events`;
}

/** Finished tasks created at or after `since` (through the status index, cheap even with a big history). */
export async function countFinishedSince(sql: Sql, since: Date): Promise<number> {
  const [r] = await sql<{ n: string }[]>`
    select count(*) as n from tasks where status in ('completed', 'failed', 'cancelled') and created_at >= ${since}`;
  return Number(r!.n);
}

/** Unfinished tasks created at or after `since`: reads only live tasks' index entries, so it stays cheap as finished ones pile up. */
async function countLiveSince(sql: Sql, since: Date): Promise<number> {
  const [r] = await sql<{ n: string }[]>`
    select count(*) as n from tasks where status in ('created', 'scheduled', 'picked', 'running') and created_at >= ${since}`;
  return Number(r!.n);
}

/**
 * Polls until `n` tasks created since `since` have finished; throws past the deadline. It counts
 * the finished ones only when none is live: counting them at every poll cost PostgreSQL as much
 * CPU as a fifth of the tasks' own work, which the figures charged to taskflow.
 */
export async function waitFinished(sql: Sql, since: Date, n: number, timeoutMs: number, pollMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let done = 0;
  while (Date.now() < deadline) {
    if ((await countLiveSince(sql, since)) === 0) {
      done = await countFinishedSince(sql, since);
      if (done >= n) return;
    }
    await Bun.sleep(pollMs);
  }
  done = await countFinishedSince(sql, since);
  throw new Error(`only ${done} of ${n} tasks finished within ${timeoutMs} ms`);
}
