import { afterAll, beforeAll, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { describeEachBackend, openTestDatabase, type TestDatabase } from "../../test/support/databases.ts";
import { waitFor } from "../../test/support/processes.ts";
import { parsePayload, TASK_CHANNEL, type TaskChange } from "./channels.ts";
import { recordTransitions } from "./queries/record-transitions.ts";
import { tasks } from "./schema/index.ts";

describeEachBackend("task events publish on the task channel", (backend) => {
  let d: TestDatabase;
  beforeAll(async () => {
    d = await openTestDatabase(backend);
  });
  afterAll(() => d.close());

  test("every event inserted arrives once, in chunks that fit a NOTIFY, only after commit", async () => {
    const got: TaskChange[] = [];
    const stop = await d.listen(TASK_CHANNEL, (p) => got.push(...parsePayload<TaskChange>(p)));
    const [t] = await d.db.insert(tasks).values({ name: "n", command: "true", status: "scheduled" }).returning();
    await d.db.transaction(async (tx) => {
      await recordTransitions(tx, Array.from({ length: 120 }, (_, i) => ({ taskId: t!.id, attempt: i, status: "scheduled" })));
      await tx.execute(sql`select 1`);
      expect(got).toHaveLength(0);
    });
    await waitFor("120 changes", () => got.length >= 120);
    expect(got.map((c) => c.attempt)).toEqual(Array.from({ length: 120 }, (_, i) => i));
    // The trigger adds what metrics need from the row (drizzle/0003): here its queue.
    expect(got[0]).toEqual({ id: t!.id, status: "scheduled", attempt: 0, queue: "default" });
    await stop();
  });
});
