/**
 * The liveness rule (markDeadWorkers with recordCoordinatorPresence): a worker's
 * silence counts only over time its coordinator could record heartbeats, so a
 * database outage never kills a live worker, while a dead one is still found.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { describeEachBackend, openTestDatabase, type TestDatabase } from "../../../test/support/databases.ts";
import { insertCoordinator, insertTask, registerWorker } from "../../../test/support/factories.ts";
import { coordinators, taskAttempts, tasks, workers } from "../schema/index.ts";
import { rows } from "../sql.ts";
import { claimDueTasks } from "./claim-due-tasks.ts";
import { markDeadWorkers } from "./mark-dead-workers.ts";
import { openWorkerSession } from "./open-worker-session.ts";
import { recordHeartbeat } from "./record-heartbeat.ts";
import { markCoordinatorStopped, recordCoordinatorPresence, retireCoordinators } from "./record-coordinator-presence.ts";

const TIMEOUT = 10_000;
const GONE = 30_000;

describeEachBackend("liveness rule", (backend) => {
  let d: TestDatabase;
  beforeAll(async () => {
    d = await openTestDatabase(backend);
  });
  afterAll(() => d.close());
  beforeEach(async () => {
    await d.db.execute(sql`truncate tasks, task_attempts, task_events, workers, coordinators cascade`);
  });

  test("a worker silent past the timeout is declared dead and its attempts are lost and retried", async () => {
    const coordinatorId = await insertCoordinator(d.db, { recordingForMs: 600_000 });
    const judge = { coordinatorId, timeoutMs: 60_000, goneMs: 180_000, freshMs: 30_000 };
    const w = await registerWorker(d.db, { coordinatorId });
    const retry = await insertTask(d.db, { maxRetries: 2, backoffMs: 1 });
    const last = await insertTask(d.db, { maxRetries: 0 });
    await claimDueTasks(d.db, { workerId: w, workerName: "w", queues: ["default"], limit: 10 });
    expect(await markDeadWorkers(d.db, judge)).toEqual([]);
    await d.db.update(workers).set({ lastHeartbeatAt: new Date(Date.now() - 120_000) }).where(eq(workers.id, w));
    const dead = await markDeadWorkers(d.db, judge);
    expect(dead).toMatchObject([{ id: w, lostAttempts: 2 }]);
    const all = await d.db.select().from(tasks);
    expect(all.find((r) => r.id === retry.id)!.status).toBe("scheduled");
    expect(all.find((r) => r.id === last.id)!.status).toBe("failed");
    expect(all.find((r) => r.id === last.id)!.error).toContain("was lost");
    const att = await d.db.select().from(taskAttempts);
    expect(att.every((a) => a.status === "lost")).toBe(true);
    // A dead session's heartbeats are refused, and it cannot be resumed.
    expect(await recordHeartbeat(d.db, w, 0, false)).toBe(false);
    const again = await openWorkerSession(d.db, { name: "w", host: "h", pid: 1, queues: ["default"], concurrency: 1, version: "t", draining: false, coordinator: "c" }, w);
    expect(again.resumed).toBe(false);
    expect(again.id).not.toBe(w);
  });

  /** A worker held by `coordinatorId` whose last heartbeat was `silentMs` ago. */
  async function silentWorker(coordinatorId: string | null, silentMs: number): Promise<string> {
    const id = await registerWorker(d.db, { coordinatorId });
    await d.db.execute(sql`update workers set last_heartbeat_at = now() - ${silentMs} * interval '1 millisecond' where id = ${id}`);
    return id;
  }

  const judgeOf = (coordinatorId: string) => ({ coordinatorId, timeoutMs: TIMEOUT, goneMs: GONE, freshMs: 5000 });
  const deadIds = async (judge: string) => (await markDeadWorkers(d.db, judgeOf(judge))).map((w) => w.id).sort();

  test("a silent worker of a coordinator that has recorded for a whole timeout is dead; a heartbeating one is not", async () => {
    const c = await insertCoordinator(d.db, { recordingForMs: 60_000 });
    const silent = await silentWorker(c, TIMEOUT + 2000);
    await silentWorker(c, 1000);
    expect(await deadIds(c)).toEqual([silent]);
  });

  test("silence counts up to the coordinator's last pass: a worker it heard since is not dead, even judged by another coordinator", async () => {
    const judge = await insertCoordinator(d.db, { recordingForMs: 60_000 });
    // Its coordinator's last pass was 4 s ago (fresh: within 5 s) and had heard the worker 7.5 s before it (11.5 s ago).
    const holder = await insertCoordinator(d.db, { recordingForMs: 60_000, seenAgoMs: 4000 });
    const heard = await silentWorker(holder, TIMEOUT - 3000 + 4000 + 500);
    expect(await deadIds(judge)).toEqual([]);
    // Silent for a whole timeout before that pass: dead.
    const silent = await silentWorker(holder, TIMEOUT + 4000 + 500);
    expect(await deadIds(judge)).toEqual([silent]);
    expect(heard).not.toBe(silent);
  });

  test("after an outage, silence counts only once the worker's coordinator has recorded for a whole timeout again", async () => {
    // The coordinator's first pass after a 60 s outage: recording since a second ago; its worker's last heartbeat is from before the outage.
    const c = await insertCoordinator(d.db, { recordingForMs: 1000 });
    const w = await silentWorker(c, 60_000);
    expect(await deadIds(c)).toEqual([]);
    // Had nobody recorded the worker for a whole timeout since, it would be dead.
    await d.db.execute(sql`update coordinators set recording_since = now() - ${TIMEOUT + 1} * interval '1 millisecond' where id = ${c}`);
    expect(await deadIds(c)).toEqual([w]);
  });

  test("a coordinator slow to come back after an outage keeps its workers until it has been silent for the gone time", async () => {
    const judge = await insertCoordinator(d.db, { recordingForMs: TIMEOUT + 5000 });
    // The other coordinator has not answered since the outage began 20 s ago (less than GONE).
    const slow = await insertCoordinator(d.db, { recordingForMs: 600_000, seenAgoMs: 20_000 });
    const w = await silentWorker(slow, 20_000);
    expect(await deadIds(judge)).toEqual([]);
    // Silent for the gone time while the judge recorded all along: the coordinator is gone, its silent worker dead.
    await d.db.execute(sql`update coordinators set last_seen_at = now() - ${GONE + 1000} * interval '1 millisecond' where id = ${slow}`);
    expect(await deadIds(judge)).toEqual([]);
    await d.db.execute(sql`update coordinators set recording_since = now() - ${GONE + 1000} * interval '1 millisecond' where id = ${judge}`);
    expect(await deadIds(judge)).toEqual([w]);
  });

  test("workers of a coordinator that stopped on purpose, or of none, are judged once the judge has recorded for a timeout", async () => {
    const judge = await insertCoordinator(d.db, { recordingForMs: 1000 });
    const stopped = await insertCoordinator(d.db, { recordingForMs: 600_000 });
    await markCoordinatorStopped(d.db, stopped);
    const ws = [await silentWorker(stopped, TIMEOUT + 1000), await silentWorker(null, TIMEOUT + 1000)].sort();
    expect(await deadIds(judge)).toEqual([]);
    await d.db.execute(sql`update coordinators set recording_since = now() - ${TIMEOUT + 1} * interval '1 millisecond' where id = ${judge}`);
    expect(await deadIds(judge)).toEqual(ws);
  });

  test("a presence pass records the heartbeats of the workers it hears, never moving one back", async () => {
    const c = crypto.randomUUID();
    await recordCoordinatorPresence(d.db, { id: c, address: "a:1", interrupted: true, heard: [] });
    const stale = await silentWorker(c, 60_000);
    const fresh = await silentWorker(c, 0);
    const recordingMs = await recordCoordinatorPresence(d.db, { id: c, address: "a:1", interrupted: false, heard: [{ workerId: stale, agoMs: 300 }, { workerId: fresh, agoMs: 50_000 }] });
    expect(recordingMs).toBeGreaterThanOrEqual(0);
    const ages = rows<{ id: string; age_ms: number }>(await d.db.execute(sql`select id, (extract(epoch from now() - last_heartbeat_at) * 1000)::float8 as age_ms from workers`));
    const age = (id: string) => Number(ages.find((a) => a.id === id)!.age_ms);
    expect(age(stale)).toBeGreaterThanOrEqual(300);
    expect(age(stale)).toBeLessThan(5000);
    // Heard 50 s ago, but its own heartbeat write landed just now: kept.
    expect(age(fresh)).toBeLessThan(5000);
  });

  test("an interrupted pass starts recording anew; an uninterrupted one keeps the start", async () => {
    const c = crypto.randomUUID();
    await recordCoordinatorPresence(d.db, { id: c, address: "a:1", interrupted: true, heard: [] });
    await d.db.execute(sql`update coordinators set recording_since = now() - interval '1 minute' where id = ${c}`);
    expect(await recordCoordinatorPresence(d.db, { id: c, address: "a:1", interrupted: false, heard: [] })).toBeGreaterThan(59_000);
    expect(await recordCoordinatorPresence(d.db, { id: c, address: "a:1", interrupted: true, heard: [] })).toBeLessThan(5000);
  });

  test("on the embedded database every other coordinator is retired at start; old gone coordinators are removed", async () => {
    const self = await insertCoordinator(d.db, { recordingForMs: 1000 });
    const earlier = await insertCoordinator(d.db, { recordingForMs: 600_000, seenAgoMs: 5000 });
    const ancient = await insertCoordinator(d.db, { recordingForMs: 100_000_000, seenAgoMs: 90_000_000 });
    await retireCoordinators(d.db, self, true);
    const left = await d.db.select().from(coordinators);
    expect(left.map((c) => c.id).sort()).toEqual([self, earlier].sort());
    expect(left.find((c) => c.id === earlier)!.stoppedAt).not.toBeNull();
    expect(left.find((c) => c.id === self)!.stoppedAt).toBeNull();
    const [w] = await d.db.select().from(workers).where(eq(workers.coordinatorId, ancient));
    expect(w).toBeUndefined();
  });
});
