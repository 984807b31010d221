import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { describeEachBackend } from "../../../test/support/databases.ts";
import { insertTask } from "../../../test/support/factories.ts";
import { SchedulerTestApp } from "../../../test/support/scheduler-app.ts";
import { taskAttempts } from "../../db/schema/index.ts";

describeEachBackend("failure reasons and GET /api/failures", (backend) => {
  let api: SchedulerTestApp;
  beforeAll(async () => {
    api = await SchedulerTestApp.open(backend);
  });
  afterAll(() => api.close());
  beforeEach(() => api.reset());

  /** A task that failed `agoMs` ago with `error` and stderr `stderr` on its attempt 1. */
  async function failed(name: string, error: string, stderr: string | null, agoMs = 60_000) {
    const finishedAt = sql`now() - ${`${agoMs} milliseconds`}::interval` as unknown as Date;
    const t = await insertTask(api.db, { name, status: "failed", attempt: 1, error, exitCode: 1, finishedAt });
    await api.db.insert(taskAttempts).values({ taskId: t.id, attempt: 1, worker: "w1", status: "failed", error, stderrTail: stderr, finishedAt });
    return t.id;
  }

  test("task JSON carries failure_reason: stderr's last line for an exit code, else the error", async () => {
    const a = await failed("backup", "exit code 1", "copying\nError: disk full\n");
    const b = await failed("sync", "timed out after 30000 ms", "still going\n");
    const list = await api.get("/api/tasks?status=failed");
    const reasons = Object.fromEntries(list.body.tasks.map((t: { id: string; failure_reason: string }) => [t.id, t.failure_reason]));
    expect(reasons).toEqual({ [a]: "Error: disk full", [b]: "timed out after 30000 ms" });
    expect((await api.get(`/api/tasks/${a}`)).body).toMatchObject({ failure_reason: "Error: disk full", finished_at: expect.any(String), retry_base: 0, manual_retries: 0 });
    const ok = await insertTask(api.db, { status: "completed" });
    expect((await api.get(`/api/tasks/${ok.id}`)).body.failure_reason).toBeNull();
  });

  test("groups the window's failures by name and reason, biggest first, with the newest time and sample ids", async () => {
    const newest = await failed("backup", "exit code 1", "Error: disk full", 1000);
    for (let i = 0; i < 6; i++) await failed("backup", "exit code 1", "Error: disk full\n", 10_000 + i);
    await failed("backup", "worker w1 was lost", null, 2000);
    await failed("sync", "exit code 2", "", 3000);
    await failed("old", "exit code 1", "gone", 2 * 24 * 3600 * 1000);
    const r = await api.get("/api/failures");
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ total: 9, truncated: false });
    expect(r.body.groups.map((g: { name: string; failure_reason: string; count: number }) => [g.name, g.failure_reason, g.count])).toEqual([
      ["backup", "Error: disk full", 7],
      ["backup", "worker w1 was lost", 1],
      ["sync", "exit code 2", 1],
    ]);
    expect(r.body.groups[0].sample_ids).toHaveLength(5);
    expect(r.body.groups[0].sample_ids[0]).toBe(newest);
    expect(Date.parse(r.body.groups[0].last_failed_at)).toBeGreaterThan(Date.now() - 60_000);
    expect((await api.get("/api/failures?since=3d")).body.total).toBe(10);
    for (const bad of ["since=forever", "since=30d", "since=5", "window=1h"]) expect((await api.get(`/api/failures?${bad}`)).status).toBe(422);
  });
});
