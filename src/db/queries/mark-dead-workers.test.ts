import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { describeEachBackend, openTestDatabase, type TestDatabase } from "../../../test/support/databases.ts";
import { insertTask, registerWorker } from "../../../test/support/factories.ts";
import { taskAttempts, tasks, workers } from "../schema/index.ts";
import { claimDueTasks } from "./claim-due-tasks.ts";
import { markDeadWorkers } from "./mark-dead-workers.ts";
import { openWorkerSession } from "./open-worker-session.ts";
import { recordHeartbeat } from "./record-heartbeat.ts";

describeEachBackend("markDeadWorkers", (backend) => {
  let d: TestDatabase;
  beforeAll(async () => {
    d = await openTestDatabase(backend);
  });
  afterAll(() => d.close());
  beforeEach(async () => {
    await d.db.execute(sql`truncate tasks, task_attempts, task_events, workers cascade`);
  });

  test("a worker silent past the timeout is declared dead and its attempts are lost and retried", async () => {
    const w = await registerWorker(d.db);
    const retry = await insertTask(d.db, { maxRetries: 2, backoffMs: 1 });
    const last = await insertTask(d.db, { maxRetries: 0 });
    await claimDueTasks(d.db, { workerId: w, workerName: "w", queues: ["default"], limit: 10 });
    expect(await markDeadWorkers(d.db, 60_000)).toEqual([]);
    await d.db.update(workers).set({ lastHeartbeatAt: new Date(Date.now() - 120_000) }).where(eq(workers.id, w));
    const dead = await markDeadWorkers(d.db, 60_000);
    expect(dead).toMatchObject([{ id: w, lostAttempts: 2 }]);
    const rows = await d.db.select().from(tasks);
    expect(rows.find((r) => r.id === retry.id)!.status).toBe("scheduled");
    expect(rows.find((r) => r.id === last.id)!.status).toBe("failed");
    expect(rows.find((r) => r.id === last.id)!.error).toContain("was lost");
    const att = await d.db.select().from(taskAttempts);
    expect(att.every((a) => a.status === "lost")).toBe(true);
    // A dead session's heartbeats are refused, and it cannot be resumed.
    expect(await recordHeartbeat(d.db, w, 0, false)).toBe(false);
    const again = await openWorkerSession(d.db, { name: "w", host: "h", pid: 1, queues: ["default"], concurrency: 1, version: "t", draining: false, coordinator: "c" }, w);
    expect(again.resumed).toBe(false);
    expect(again.id).not.toBe(w);
  });
});
