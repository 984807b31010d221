import { afterAll, beforeAll, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { describeEachBackend, openTestDatabase, TEST_DATABASE_URL, createPostgresDatabase, type TestDatabase } from "../../test/support/databases.ts";
import { waitFor } from "../../test/support/processes.ts";
import { openDatabase } from "./client.ts";
import { migrate, migrationsApplied, MIGRATIONS } from "./migrate.ts";
import { rows } from "./sql.ts";

describeEachBackend("migrations", (backend) => {
  let d: TestDatabase;
  beforeAll(async () => {
    d = await openTestDatabase(backend, { migrated: false });
  });
  afterAll(() => d.close());

  test("apply once, then twice in a row is a no-op", async () => {
    expect(MIGRATIONS.length).toBeGreaterThan(0);
    expect(await migrationsApplied(d.db)).toBe(false);
    expect(await migrate(d.db)).toBe(MIGRATIONS.length);
    expect(await migrationsApplied(d.db)).toBe(true);
    expect(await migrate(d.db)).toBe(0);
    const tables = rows<{ t: string }>(
      await d.db.execute(sql`select table_name as t from information_schema.tables where table_schema = 'public' order by 1`),
    ).map((r) => r.t);
    expect(tables).toEqual(["concurrency_keys", "coordinators", "dashboard_sessions", "prune_totals", "queues", "schedule_ticks", "schedules", "task_attempts", "task_dependencies", "task_events", "task_output_chunks", "tasks", "webhook_deliveries", "webhook_delivery_attempts", "webhooks", "workers"]);
  });

  // The shape of the claim's read of one (queue, priority) level (claim-due-tasks.ts).
  test("the claim of due tasks is an index scan over the partial index", async () => {
    // Realistic shape: most tasks finished, some waiting in the future, a few due.
    await d.db.execute(sql`insert into tasks (name, command, status, queue, run_at)
      select 't' || i, 'true', case when i % 10 = 0 then 'scheduled' else 'completed' end,
             case when i % 3 = 0 then 'other' else 'default' end, now() + (i % 7 - 3) * interval '1 hour'
      from generate_series(1, 5000) i`);
    await d.db.execute(sql`analyze tasks`);
    const plan = rows<Record<string, string>>(
      await d.db.execute(sql`explain select id from tasks where status = 'scheduled' and concurrency_key is null and blocked_by = 0 and selector is null and pinned_worker is null and queue = 'default' and priority = 0 and run_at <= now() order by run_at limit 10`),
    )
      .map((r) => Object.values(r)[0])
      .join("\n");
    expect(plan).toContain("tasks_due_idx");
  });
});

describeEachBackend("migrations on a database in use", (backend) => {
  test("the migrations after 0001 apply over existing tasks: the finished index covers them, the trigger sends the queue", async () => {
    const d = await openTestDatabase(backend, { migrated: false });
    try {
      expect(await migrate(d.db, MIGRATIONS.slice(0, 2))).toBe(2);
      await d.db.execute(sql`insert into tasks (name, command, status, queue, finished_at)
        select 't' || i, 'true', case when i % 10 = 0 then 'failed' else 'completed' end, 'mail', now() - i * interval '1 min'
        from generate_series(1, 500) i`);
      expect(await migrate(d.db)).toBe(MIGRATIONS.length - 2);
      const indexed = rows<{ n: number | string }>(
        await d.db.execute(sql`select count(*) as n from pg_indexes where indexname = 'tasks_status_finished_idx'`),
      );
      expect(Number(indexed[0]!.n)).toBe(1);
      const got: string[] = [];
      const stop = await d.listen("taskflow_task", (p) => got.push(p));
      await d.db.execute(sql`insert into task_events (task_id, status) select id, 'created' from tasks where name = 't1'`);
      await waitFor("the notification", () => got.length > 0);
      await stop();
      expect(JSON.parse(got[0]!)[0]).toMatchObject({ status: "created", queue: "mail" });
    } finally {
      await d.close();
    }
  });
});

test.skipIf(!TEST_DATABASE_URL)("two processes migrating one PostgreSQL at once both succeed", async () => {
  const { url, drop } = await createPostgresDatabase();
  try {
    const a = await openDatabase({ databaseUrl: url, dataDir: "" });
    const b = await openDatabase({ databaseUrl: url, dataDir: "" });
    const applied = await Promise.all([migrate(a.db), migrate(b.db)]);
    expect(applied.sort()).toEqual([0, MIGRATIONS.length]);
    expect(await migrationsApplied(a.db)).toBe(true);
    await Promise.all([a.close(), b.close()]);
  } finally {
    await drop();
  }
});
