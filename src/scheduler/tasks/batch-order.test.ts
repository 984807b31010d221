import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { describeEachBackend } from "../../../test/support/databases.ts";
import { SchedulerTestApp, taskBody } from "../../../test/support/scheduler-app.ts";

describeEachBackend("tasks of one batch list in the order they were sent", (backend) => {
  let api: SchedulerTestApp;
  beforeAll(async () => {
    api = await SchedulerTestApp.open(backend);
  });
  afterAll(() => api.close());
  beforeEach(() => api.reset());

  test("UUIDv7 ids sort by creation: a batch lists newest (last sent) first, and the Older cursor walks it in order", async () => {
    const sent = (await api.post("/api/tasks/batch", { tasks: Array.from({ length: 30 }, (_, i) => taskBody({ name: `t${i}` })) })).body.tasks;
    const ids: string[] = sent.map((t: { id: string }) => t.id);
    expect(ids).toEqual([...ids].sort());
    expect(new Set(sent.map((t: { created_at: string }) => t.created_at)).size).toBe(1);
    const listed: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { tasks: { name: string }[]; next_cursor: string | null } } = await api.get(`/api/tasks?limit=7${cursor ? `&cursor=${cursor}` : ""}`);
      listed.push(...page.body.tasks.map((t) => t.name));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(listed).toEqual(Array.from({ length: 30 }, (_, i) => `t${29 - i}`));
  });
});
