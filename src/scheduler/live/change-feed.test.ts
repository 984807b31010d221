import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { describeEachBackend, openTestDatabase, type TestDatabase } from "../../../test/support/databases.ts";
import { insertTask, insertTasks } from "../../../test/support/factories.ts";
import { waitFor } from "../../../test/support/processes.ts";
import type { Database } from "../../db/client.ts";
import { TASK_CHANNEL, type TaskChange } from "../../db/channels.ts";
import { recordTransitions } from "../../db/queries/record-transitions.ts";
import { notifyScheduleChanges } from "../../db/channels.ts";
import { tasks } from "../../db/schema/index.ts";
import { roleLogger } from "../../log/logger.ts";
import { taskRowsQuery } from "../../db/queries/load-feed-rows.ts";
import { approxBytes, ChangeFeed, HISTORY_MAX_BATCHES, HISTORY_MAX_BYTES, type FeedBatch } from "./change-feed.ts";

const changesOf = (batches: FeedBatch[], id?: string) => batches.flatMap((x) => x.taskChanges).filter((c) => id === undefined || c.id === id);
/** Ends the linger of an earlier row reader, so the test starts with nobody reading rows. */
const forgetRowReaders = (feed: ChangeFeed) => ((feed as unknown as { rowsWantedUntil: number }).rowsWantedUntil = 0);

describeEachBackend("change feed", (backend) => {
  let d: TestDatabase;
  let feed: ChangeFeed;
  beforeAll(async () => {
    d = await openTestDatabase(backend);
    feed = new ChangeFeed(d, roleLogger("test"));
    await feed.start();
  });
  afterAll(async () => {
    await feed.stop();
    await d.close();
  });

  /** Moves task `id` to `status` and records the transition, as one transaction. */
  const transition = (id: string, attempt: number, status: string, set: Partial<typeof tasks.$inferInsert> = {}) =>
    d.db.transaction(async (tx) => {
      await tx.update(tasks).set({ status, attempt, ...set }).where(eq(tasks.id, id));
      await recordTransitions(tx, [{ taskId: id, attempt, status }]);
    });

  test("every row reader gets each transition with the latest row; a late subscriber resumes after a seq", async () => {
    const a: FeedBatch[] = [];
    const b: FeedBatch[] = [];
    const before = feed.lastSeq;
    const offA = feed.subscribe((x) => a.push(x), { rows: true });
    const offB = feed.subscribe((x) => b.push(x), { rows: true });
    const t = await insertTask(d.db);
    await transition(t.id, 1, "completed");
    await waitFor("the change", () => changesOf(a, t.id).some((c) => c.status === "completed"));
    const batch = a.find((x) => x.taskChanges.some((c) => c.id === t.id && c.status === "completed"))!;
    expect(batch.rowsLoaded).toBe(true);
    expect(batch.tasks.get(t.id)!.status).toBe("completed");
    expect(b.map((x) => x.seq)).toEqual(a.map((x) => x.seq));
    offA();
    offB();
    const replayed: FeedBatch[] = [];
    feed.subscribe((x) => replayed.push(x), { afterSeq: before })();
    expect(replayed.map((x) => x.seq)).toEqual(a.map((x) => x.seq));
    expect(feed.subscribers).toBe(0);
  });

  test("the last row reader leaving keeps rows loaded a while, so its reconnect resumes with rows", () => {
    forgetRowReaders(feed);
    const off = feed.subscribe(() => {}, { rows: true });
    expect(feed.rowsWanted).toBe(true);
    off();
    off();
    expect(feed.rowsWanted).toBe(true);
    forgetRowReaders(feed);
    expect(feed.rowsWanted).toBe(false);
  });

  test("rows are loaded by one statement text, with one parameter, whatever their number", () => {
    const queries = [1, 2, 100].map((n) => taskRowsQuery(d.db, Array.from({ length: n }, () => crypto.randomUUID())).toSQL());
    expect(new Set(queries.map((q) => q.sql)).size).toBe(1);
    expect(queries.every((q) => q.params.length === 1)).toBe(true);
  });

  describe("without row readers", () => {
    let got: FeedBatch[];
    let off: (() => void) | undefined;
    beforeEach(() => {
      forgetRowReaders(feed);
      off?.();
      got = [];
      off = feed.subscribe((x) => got.push(x));
    });

    test("transitions arrive with their queue and schedule flag, and no row is loaded", async () => {
      const loads = feed.loads;
      const t = await insertTask(d.db, { queue: "mail", scheduleId: crypto.randomUUID() });
      await transition(t.id, 1, "picked");
      await waitFor("the change", () => changesOf(got, t.id).length > 0);
      expect(changesOf(got, t.id)[0]).toEqual({ id: t.id, status: "picked", attempt: 1, queue: "mail", schedule: true });
      expect(got.every((x) => !x.rowsLoaded && x.tasks.size === 0)).toBe(true);
      expect(feed.loads).toBe(loads);
    });

    test("run time and dispatch lag come with the transition while the row is in that attempt, and not once it moved on", async () => {
      const t = await insertTask(d.db, { runAt: new Date("2030-01-01T00:00:00Z") });
      const startedAt = new Date("2030-01-01T00:00:00.250Z");
      await transition(t.id, 1, "running", { startedAt });
      await transition(t.id, 1, "completed", { finishedAt: new Date("2030-01-01T00:00:03.250Z") });
      // Failed with a retry left: back to scheduled, started_at kept, updated_at = when the result was written.
      await transition(t.id, 2, "scheduled", { startedAt, finishedAt: null, updatedAt: new Date("2030-01-01T00:00:02.250Z") });
      // This transition is recorded after the row already moved on to the next attempt.
      await d.db.transaction(async (tx) => {
        await tx.update(tasks).set({ status: "picked", attempt: 3, startedAt: null }).where(eq(tasks.id, t.id));
        await recordTransitions(tx, [{ taskId: t.id, attempt: 2, status: "failed" }]);
      });
      await waitFor("four changes", () => changesOf(got, t.id).length >= 4);
      const [running, completed, retried, failed] = changesOf(got, t.id);
      expect(running!.lag).toBeCloseTo(0.25);
      expect(completed!.duration).toBeCloseTo(3);
      expect(retried!.duration).toBeCloseTo(2);
      expect(failed).toEqual({ id: t.id, status: "failed", attempt: 2, queue: "default" });
    });

    test("a big commit's chunks arrive in order", async () => {
      const t = await insertTask(d.db);
      await d.db.transaction((tx) => recordTransitions(tx, Array.from({ length: 300 }, (_, i) => ({ taskId: t.id, attempt: i, status: "retrying" }))));
      await waitFor("300 changes", () => changesOf(got, t.id).length >= 300);
      expect(changesOf(got, t.id).map((c) => c.attempt)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    });

    test("schedule changes arrive in order, passed on without loading any row", async () => {
      const id = crypto.randomUUID();
      await d.db.transaction((tx) => notifyScheduleChanges(tx, [{ id, change: "created" }, { id, change: "ticked" }]));
      await waitFor("the schedule changes", () => got.flatMap((x) => x.scheduleChanges).length >= 2);
      expect(got.flatMap((x) => x.scheduleChanges)).toEqual([{ id, change: "created" }, { id, change: "ticked" }]);
      expect(got.every((x) => x.tasks.size === 0 && x.taskChanges.length === 0)).toBe(true);
    });

    test("holdRows (a page about to stream) makes the following batches carry rows", async () => {
      feed.holdRows();
      const t = await insertTask(d.db);
      await transition(t.id, 1, "picked");
      await waitFor("the change", () => changesOf(got, t.id).length > 0);
      const batch = got.find((x) => x.taskChanges.some((c) => c.id === t.id))!;
      expect(batch.rowsLoaded).toBe(true);
      expect(batch.tasks.get(t.id)!.status).toBe("picked");
    });
  });
});

test("the trigger's payloads stay well under NOTIFY's 8000 bytes with the longest queue name and every figure", async () => {
  const d = await openTestDatabase("pglite");
  try {
    const now = new Date();
    const ts = await insertTasks(d.db, 100, { queue: "q".repeat(64), scheduleId: crypto.randomUUID(), startedAt: now, finishedAt: now, status: "completed", attempt: 1_000_000 });
    const payloads: string[] = [];
    const stop = await d.listen(TASK_CHANNEL, (p) => payloads.push(p));
    await d.db.transaction((tx) => recordTransitions(tx, ts.map((t) => ({ taskId: t.id, attempt: 1_000_000, status: "completed" }))));
    await waitFor("the payloads", () => payloads.length >= 4);
    await stop();
    expect(JSON.parse(payloads[0]!)[0]).toMatchObject({ queue: "q".repeat(64), schedule: true, duration: 0 });
    expect(Math.max(...payloads.map((p) => p.length))).toBeLessThan(7000);
  } finally {
    await d.close();
  }
});

/** A database stand-in: the test sends notifications and answers each row load when it likes. */
function fakeDatabase() {
  const channels = new Map<string, (payload: string) => void>();
  const loads: { ids: string[]; answer: () => void }[] = [];
  const database = {
    listen: async (channel: string, onMessage: (payload: string) => void) => {
      channels.set(channel, onMessage);
      return async () => {};
    },
    db: {
      select: () => ({
        from: () => ({
          where: (cond: { queryChunks: unknown[] }) => {
            const literal = cond.queryChunks.find((c): c is string => typeof c === "string" && c.startsWith("{"))!;
            const ids = literal.slice(1, -1).split(",");
            const rows = new Promise((resolve) => loads.push({ ids, answer: () => resolve(ids.map((id) => ({ id, name: "n", command: "c", env: {}, error: null, worker: null, status: "picked" }))) }));
            return { prepare: () => ({ execute: () => rows }) };
          },
        }),
      }),
    },
  } as unknown as Database;
  return { database, loads, notify: (changes: TaskChange[]) => channels.get(TASK_CHANNEL)!(JSON.stringify(changes)) };
}
const tick = () => new Promise<void>((r) => queueMicrotask(r));
const created = (): TaskChange => ({ id: crypto.randomUUID(), status: "created", attempt: 0 });

describe("change feed loads", () => {
  test("changes heard while a load is under way wait, and go out together in the next load", async () => {
    const { database, loads, notify } = fakeDatabase();
    const feed = new ChangeFeed(database, roleLogger("test"));
    await feed.start();
    const got: FeedBatch[] = [];
    feed.subscribe((b) => got.push(b), { rows: true });
    const [a, b, c] = [created(), created(), created()];
    notify([a]);
    await waitFor("the first load", () => loads.length === 1);
    notify([b]);
    await tick();
    notify([c]);
    await tick();
    expect(loads).toHaveLength(1);
    loads[0]!.answer();
    await waitFor("the first batch", () => got.length === 1);
    expect([...got[0]!.tasks.keys()]).toEqual([a.id]);
    await waitFor("the second load", () => loads.length === 2);
    expect(loads[1]!.ids).toEqual([b.id, c.id]);
    loads[1]!.answer();
    await waitFor("the second batch", () => got.length === 2);
    expect(got[1]!.taskChanges).toEqual([b, c]);
    expect([...got[1]!.tasks.keys()]).toEqual([b.id, c.id]);
    expect(got.every((x) => x.rowsLoaded)).toBe(true);
    await feed.stop();
  });

  test("a stray notification that is not a task id does not stall the loads", async () => {
    const { database, loads, notify } = fakeDatabase();
    const feed = new ChangeFeed(database, roleLogger("test"));
    await feed.start();
    feed.subscribe(() => {}, { rows: true });
    const ok = created();
    notify([{ id: "x}, {y", status: "created", attempt: 0 }, ok]);
    await waitFor("the load", () => loads.length === 1);
    expect(loads[0]!.ids).toEqual([ok.id]);
    await feed.stop();
  });
});

describe("change feed history", () => {
  test(`keeps at most ${HISTORY_MAX_BATCHES} batches`, async () => {
    const { database, notify } = fakeDatabase();
    const feed = new ChangeFeed(database, roleLogger("test"));
    await feed.start();
    for (let i = 0; i < HISTORY_MAX_BATCHES + 200; i++) {
      notify([created()]);
      await tick();
    }
    const kept: FeedBatch[] = [];
    feed.subscribe((b) => kept.push(b), { afterSeq: 0 })();
    expect(kept).toHaveLength(HISTORY_MAX_BATCHES);
    expect(kept.at(-1)!.seq).toBe(feed.lastSeq);
    await feed.stop();
  });

  test(`keeps about ${HISTORY_MAX_BYTES / 1024 / 1024} MiB at most, however few batches`, async () => {
    const { database, notify } = fakeDatabase();
    const feed = new ChangeFeed(database, roleLogger("test"));
    await feed.start();
    const big = Array.from({ length: 5000 }, created);
    for (let i = 0; i < 40; i++) {
      notify(big);
      await tick();
    }
    const kept: FeedBatch[] = [];
    feed.subscribe((b) => kept.push(b), { afterSeq: 0 })();
    expect(kept.length).toBeGreaterThan(1);
    expect(kept.length).toBeLessThan(40);
    expect(kept.reduce((a, b) => a + approxBytes(b), 0)).toBeLessThanOrEqual(HISTORY_MAX_BYTES);
    expect(kept.at(-1)!.seq).toBe(feed.lastSeq);
    await feed.stop();
  });
});
