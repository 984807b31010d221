/** Retention in /metrics and /api/metrics: policies, rows pruned per table, oldest kept task, database size. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { insertTask } from "../../../test/support/factories.ts";
import { parsePrometheusText, sampleValue } from "../../../test/support/prometheus-text.ts";
import { openSecuredApp, type SecuredApp } from "../../../test/security/support.ts";
import { pruneFinishedTasks } from "../../db/queries/prune-finished-tasks.ts";

let s: SecuredApp;
beforeAll(async () => {
  s = await openSecuredApp(["--retain-completed=1h", "--retain-failed=forever"]);
  const db = s.database.db;
  const ago = (h: number) => sql`now() - ${h} * interval '1 hour'` as unknown as Date;
  await insertTask(db, { status: "completed", finishedAt: ago(3) });
  await insertTask(db, { status: "completed", finishedAt: ago(0.5) });
  await insertTask(db, { status: "failed", finishedAt: ago(500) });
  await pruneFinishedTasks(db, { status: "completed", olderThanMs: 3_600_000, limit: 100 });
});
afterAll(() => s.close());

test("/metrics: pruned rows by table, the oldest kept finished task by status, database size, the policies", async () => {
  const m = parsePrometheusText(await (await s.send("GET", "/metrics")).text());
  expect(m.get("taskflow_pruned_total")!.type).toBe("counter");
  expect(sampleValue(m, "taskflow_pruned_total", { table: "tasks" })).toBe(1);
  expect(sampleValue(m, "taskflow_oldest_finished_task_age_seconds", { status: "completed" })).toBeWithin(1700, 1900);
  expect(sampleValue(m, "taskflow_oldest_finished_task_age_seconds", { status: "failed" })).toBeGreaterThan(499 * 3600);
  expect(sampleValue(m, "taskflow_database_size_bytes")).toBeGreaterThan(1_000_000);
  expect(sampleValue(m, "taskflow_retention_seconds", { target: "completed" })).toBe(3600);
  expect(sampleValue(m, "taskflow_retention_seconds", { target: "cancelled" })).toBe(7 * 86400);
  // Kept forever: no series.
  expect(sampleValue(m, "taskflow_retention_seconds", { target: "failed" })).toBeUndefined();
});

test("/api/metrics: the retention section", async () => {
  const body = await (await s.send("GET", "/api/metrics")).json();
  expect(body.retention.policies).toEqual({
    completed: { keep: "1h", seconds: 3600 },
    failed: { keep: "forever", seconds: null },
    cancelled: { keep: "7d", seconds: 604800 },
    workers: { keep: "1d", seconds: 86400 },
  });
  expect(body.retention.pruned_total).toEqual({ tasks: 1, task_attempts: 0, task_events: 0, workers: 0 });
  expect(body.retention.oldest_finished_age_seconds.cancelled).toBeNull();
  expect(body.retention.database_size_bytes).toBeGreaterThan(1_000_000);
});
