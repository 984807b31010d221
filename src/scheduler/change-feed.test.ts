import { afterAll, beforeAll, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { describeEachBackend, openTestDatabase, type TestDatabase } from "../../test/support/databases.ts";
import { insertTask } from "../../test/support/factories.ts";
import { waitFor } from "../../test/support/processes.ts";
import { recordTransitions } from "../db/queries/record-transitions.ts";
import { notifyScheduleChanges } from "../db/queries/schedule-channel.ts";
import { tasks } from "../db/schema/index.ts";
import { roleLogger } from "../log/logger.ts";
import { ChangeFeed, type FeedBatch } from "./change-feed.ts";

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

  test("every subscriber gets each transition with the latest row; a late subscriber resumes after a seq", async () => {
    const a: FeedBatch[] = [];
    const b: FeedBatch[] = [];
    const before = feed.lastSeq;
    const offA = feed.subscribe((x) => a.push(x));
    const offB = feed.subscribe((x) => b.push(x));
    const t = await insertTask(d.db);
    await d.db.transaction(async (tx) => {
      await tx.update(tasks).set({ status: "completed" }).where(eq(tasks.id, t.id));
      await recordTransitions(tx, [{ taskId: t.id, attempt: 1, status: "completed" }]);
    });
    await waitFor("the change", () => a.flatMap((x) => x.taskChanges).some((c) => c.id === t.id));
    const batch = a.find((x) => x.tasks.has(t.id))!;
    expect(batch.tasks.get(t.id)!.status).toBe("completed");
    expect(b.map((x) => x.seq)).toEqual(a.map((x) => x.seq));
    offA();
    offB();
    const replayed: FeedBatch[] = [];
    feed.subscribe((x) => replayed.push(x), before)();
    expect(replayed.map((x) => x.seq)).toEqual(a.map((x) => x.seq));
    expect(feed.subscribers).toBe(0);
  });

  test("schedule changes arrive in order, passed on without loading any row", async () => {
    const got: FeedBatch[] = [];
    const off = feed.subscribe((x) => got.push(x));
    const id = crypto.randomUUID();
    await d.db.transaction((tx) => notifyScheduleChanges(tx, [{ id, change: "created" }, { id, change: "ticked" }]));
    await waitFor("the schedule changes", () => got.flatMap((x) => x.scheduleChanges).length >= 2);
    off();
    expect(got.flatMap((x) => x.scheduleChanges)).toEqual([{ id, change: "created" }, { id, change: "ticked" }]);
    expect(got.every((x) => x.tasks.size === 0 && x.taskChanges.length === 0)).toBe(true);
  });
});
