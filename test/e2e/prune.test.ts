/**
 * `taskflow prune` as a real process against a real database (a data directory
 * of embedded PGlite; PostgreSQL too when TASKFLOW_TEST_DATABASE_URL is set):
 * --dry-run prints counts and deletes nothing, a prune deletes exactly what it printed.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, type Database } from "../../src/db/client.ts";
import { migrate } from "../../src/db/migrate.ts";
import { rows } from "../../src/db/sql.ts";
import { createPostgresDatabase, describeEachBackend } from "../support/databases.ts";
import { taskflowCommand } from "../support/processes.ts";

describeEachBackend("taskflow prune", (backend) => {
  let dataDir = "";
  let url: string | null = null;
  let drop = async () => {};
  /** The flags that point taskflow at this database. */
  const target = () => (url ? [`--database-url=${url}`] : [`--data-dir=${dataDir}`]);

  /** Opens the database in this process (PGlite serves one process: closed before taskflow runs). */
  async function withDb<T>(body: (d: Database) => Promise<T>): Promise<T> {
    const d = await openDatabase({ databaseUrl: url, dataDir, onNotice: () => {} });
    try {
      return await body(d);
    } finally {
      await d.close();
    }
  }

  const remaining = () =>
    withDb(async (d) => {
      const [r] = rows<Record<string, string | number>>(await d.db.execute(sql`
        select (select count(*) from tasks) as tasks, (select count(*) from task_attempts) as attempts,
               (select count(*) from task_events) as events, (select count(*) from workers) as workers,
               (select string_agg(name, ',' order by name) from tasks) as names`));
      return { tasks: Number(r!.tasks), attempts: Number(r!.attempts), events: Number(r!.events), workers: Number(r!.workers), names: String(r!.names) };
    });

  /** Runs `taskflow prune`: the report on stdout, errors and logs on stderr. */
  async function prune(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const proc = Bun.spawn([...taskflowCommand(), "prune", ...target(), ...args], {
      env: { ...process.env, TASKFLOW_LOG_LEVEL: "warn", TASKFLOW_LOG_FORMAT: "json" },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    return { code, stdout, stderr };
  }

  beforeAll(async () => {
    if (backend === "postgres") {
      const created = await createPostgresDatabase();
      url = created.url;
      drop = created.drop;
    } else {
      dataDir = mkdtempSync(join(tmpdir(), "taskflow-prune-"));
    }
    await withDb(async (d) => {
      await migrate(d.db);
      // Default policies: completed 7d, failed 30d, cancelled 7d, dead workers 1d.
      await d.db.execute(sql`
        with t as (
          insert into tasks (name, command, status, attempt, finished_at) values
            ('old-completed', 'true', 'completed', 1, now() - interval '10 days'),
            ('new-completed', 'true', 'completed', 1, now() - interval '1 hour'),
            ('old-failed', 'false', 'failed', 1, now() - interval '40 days'),
            ('young-failed', 'false', 'failed', 1, now() - interval '10 days'),
            ('waiting', 'true', 'scheduled', 0, null)
          returning id, status
        ), a as (
          insert into task_attempts (task_id, attempt, status) select id, 1, status from t where status <> 'scheduled'
        )
        insert into task_events (task_id, status) select id, s from t, (values ('created'), ('scheduled'), ('done')) v(s)`);
      await d.db.execute(sql`
        insert into workers (name, host, status, queues, concurrency, version, stopped_at) values
          ('gone-long-ago', 'h', 'dead', '{default}', 1, 't', now() - interval '2 days'),
          ('gone-just-now', 'h', 'dead', '{default}', 1, 't', now() - interval '1 minute')`);
    });
  }, 60_000);

  afterAll(async () => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    await drop();
  });

  test("--dry-run prints what the policies would remove and deletes nothing", async () => {
    const r = await prune(["--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("completed tasks finished more than 7d ago: would remove 1 tasks, 1 attempts, 3 events");
    expect(r.stdout).toContain("failed tasks finished more than 30d ago: would remove 1 tasks, 1 attempts, 3 events");
    expect(r.stdout).toContain("cancelled tasks finished more than 7d ago: would remove 0 tasks, 0 attempts, 0 events");
    expect(r.stdout).toContain("dead worker sessions stopped more than 1d ago: would remove 1");
    expect(r.stdout).toContain("total: would remove 2 tasks, 2 attempts, 6 events, 1 worker sessions (dry run: nothing was removed)");
    expect(await remaining()).toEqual({ tasks: 5, attempts: 4, events: 15, workers: 2, names: "new-completed,old-completed,old-failed,waiting,young-failed" });
  }, 60_000);

  test("a prune removes exactly what the dry run counted", async () => {
    const r = await prune([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("completed tasks finished more than 7d ago: removed 1 tasks, 1 attempts, 3 events");
    expect(r.stdout).toMatch(/total: removed 2 tasks, 2 attempts, 6 events, 1 worker sessions(; vacuumed)?\n/);
    if (backend === "pglite") expect(r.stdout).toContain("; vacuumed");
    expect(await remaining()).toEqual({ tasks: 3, attempts: 2, events: 9, workers: 1, names: "new-completed,waiting,young-failed" });
  }, 60_000);

  test("--status and --older-than narrow the prune; live tasks stay whatever the age", async () => {
    const r = await prune(["--status=failed,cancelled", "--older-than=1d"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("failed tasks finished more than 1d ago: removed 1 tasks");
    expect(r.stdout).not.toContain("worker sessions stopped");
    expect(await remaining()).toMatchObject({ tasks: 2, workers: 1, names: "new-completed,waiting" });
    const all = await prune(["--older-than=0"]);
    expect(all.stdout).toContain("completed tasks finished more than 0s ago: removed 1 tasks");
    expect(await remaining()).toMatchObject({ tasks: 1, names: "waiting" });
  }, 60_000);

  // Two processes on one PGlite data directory would corrupt it.
  if (backend === "pglite") {
    test("on an embedded database that another process has open, it refuses and changes nothing", async () => {
      const before = await remaining();
      const held = await openDatabase({ databaseUrl: null, dataDir });
      try {
        const r = await prune(["--older-than=0"]);
        expect(r.code).toBe(1);
        expect(r.stdout).toBe("");
        expect(r.stderr).toContain(`taskflow prune: the embedded database in ${dataDir} is open in another process`);
      } finally {
        await held.close();
      }
      expect(await remaining()).toEqual(before);
    }, 60_000);
  }

  test("a bad prune flag exits 2 with one line", async () => {
    const r = await prune(["--older-than=soon"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe('taskflow: --older-than="soon" is not a duration such as 500ms, 90s, 15m, 12h, 7d or 2w\n');
  }, 30_000);
});
