import { afterAll, beforeAll, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { recordTransitions } from "../../db/queries/record-transitions.ts";
import { tasks } from "../../db/schema/index.ts";
import { describeEachBackend } from "../../../test/support/databases.ts";
import { eventData, SseReader } from "../../../test/support/sse.ts";
import { openSecuredApp, type SecuredApp } from "../../../test/security/support.ts";
import { parsePosition } from "../live/follow-feed.ts";

describeEachBackend("GET /api/events", (backend) => {
  let s: SecuredApp;
  beforeAll(async () => {
    s = await openSecuredApp([], backend);
  });
  afterAll(() => s.close());

  const open = async (headers: Record<string, string> = {}) => {
    const res = await s.send("GET", "/api/events", { headers });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    return new SseReader(res);
  };
  const submit = async () => {
    const res = await s.send("POST", "/api/tasks", { headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "evt", command: "true", env: { SECRET: "x" } }) });
    return (await res.json()).id as string;
  };

  test("a submitted task arrives as `task` events with ids; a metrics event comes at once", async () => {
    const stream = await open();
    try {
      const id = await submit();
      const created = await stream.waitFor("created", (e) => e.event === "task" && eventData(e).id === id && eventData(e).status === "created");
      const scheduled = await stream.waitFor("scheduled", (e) => e.event === "task" && eventData(e).id === id && eventData(e).status === "scheduled");
      expect(eventData(created)).toMatchObject({ id, status: "created", attempt: 0, task: { id, name: "evt", queue: "default" } });
      // command and env are left out of events.
      expect(eventData(created).task.env).toBeUndefined();
      expect(eventData(created).task.command).toBeUndefined();
      const [a, b] = [parsePosition(created.id)!, parsePosition(scheduled.id)!];
      expect(a.epoch).toBe(b.epoch);
      expect(b.seq * 1e6 + b.index!).toBeGreaterThan(a.seq * 1e6 + a.index!);
      const metrics = await stream.waitFor("metrics", (e) => e.event === "metrics");
      expect(eventData(metrics)).toHaveProperty("tasks.by_status");
      expect(metrics.id).toBeNull();
    } finally {
      await stream.close();
    }
  });

  test("Last-Event-ID resumes right after that event, across batches, without repeats", async () => {
    const first = await open();
    const id = await submit();
    const created = await first.waitFor("created", (e) => e.event === "task" && eventData(e).id === id && eventData(e).status === "created");
    await first.close();
    // Transitions made while the client is away.
    await s.database.db.transaction(async (tx) => {
      await tx.update(tasks).set({ status: "cancelled" }).where(eq(tasks.id, id));
      await recordTransitions(tx, [{ taskId: id, attempt: 0, status: "cancelled" }]);
    });
    await Bun.sleep(300);
    const again = await open({ "last-event-id": created.id! });
    try {
      const cancelled = await again.waitFor("cancelled", (e) => e.event === "task" && eventData(e).id === id && eventData(e).status === "cancelled");
      const mine = again.events.filter((e) => e.event === "task" && eventData(e).id === id).map((e) => eventData(e).status);
      expect(mine).toEqual(["scheduled", "cancelled"]);
      expect(again.events.some((e) => e.event === "reset")).toBe(false);
      expect(eventData(cancelled).task.status).toBe("cancelled");
    } finally {
      await again.close();
    }
  });

  test("an id from another process or run gets a `reset` event, then live events", async () => {
    const stream = await open({ "last-event-id": "zzzzzz-5-0" });
    try {
      const reset = await stream.waitFor("reset", (e) => e.event === "reset");
      expect(eventData(reset).reason).toContain("reload");
      const id = await submit();
      await stream.waitFor("live created", (e) => e.event === "task" && eventData(e).id === id);
    } finally {
      await stream.close();
    }
  });

  test("closing the stream unsubscribes from the feed", async () => {
    const before = s.feed.subscribers;
    const stream = await open();
    await stream.waitFor("metrics", (e) => e.event === "metrics");
    expect(s.feed.subscribers).toBe(before + 1);
    await stream.close();
    await Bun.sleep(50);
    expect(s.feed.subscribers).toBe(before);
  });
});
