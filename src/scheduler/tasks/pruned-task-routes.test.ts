/** What the API shows of a pruned task: its id answers 404, and its idempotency key is free again. */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { describeEachBackend } from "../../../test/support/databases.ts";
import { pruneFinishedTasks } from "../../db/queries/prune-finished-tasks.ts";
import { tasks } from "../../db/schema/index.ts";
import { SchedulerTestApp, taskBody } from "../../../test/support/scheduler-app.ts";

describeEachBackend("pruned tasks in the API", (backend) => {
  let api: SchedulerTestApp;
  beforeAll(async () => {
    api = await SchedulerTestApp.open(backend);
  });
  afterAll(() => api.close());
  beforeEach(() => api.reset());

  /** What a coordinator's pruner does with --retain-completed=1h (one batch is all there is here). */
  const prune = () => pruneFinishedTasks(api.db, { status: "completed", olderThanMs: 3_600_000, limit: 100 });

  /** Marks task `id` completed `hours` ago, as a worker's result would have. */
  const finish = (id: string, hours: number) =>
    api.db.update(tasks).set({ status: "completed", attempt: 1, finishedAt: sql`now() - ${hours} * interval '1 hour'` as unknown as Date }).where(eq(tasks.id, id));

  test("a key is unique while its task is kept; once pruned, the id is a 404 and the key makes a new task", async () => {
    const first = await api.post("/api/tasks", taskBody({ idempotency_key: "nightly-2030-01-01" }));
    expect(first.status).toBe(201);
    await finish(first.body.id, 2);
    const again = await api.post("/api/tasks", taskBody({ idempotency_key: "nightly-2030-01-01" }));
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);

    expect((await prune()).tasks).toBe(1);
    const gone = await api.get(`/api/tasks/${first.body.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ error: "not_found" });
    expect((await api.post(`/api/tasks/${first.body.id}/retry`)).status).toBe(404);
    expect((await api.request("GET", `/tasks/${first.body.id}`)).status).toBe(404);

    const reused = await api.post("/api/tasks", taskBody({ idempotency_key: "nightly-2030-01-01" }));
    expect(reused.status).toBe(201);
    expect(reused.body.id).not.toBe(first.body.id);
    expect(reused.body.status).toBe("scheduled");
  });

  test("a recent finished task keeps its key: still 200 with the first task", async () => {
    const first = await api.post("/api/tasks", taskBody({ idempotency_key: "k-recent" }));
    await finish(first.body.id, 0.1);
    expect((await prune()).tasks).toBe(0);
    const again = await api.post("/api/tasks", taskBody({ idempotency_key: "k-recent" }));
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
  });
});
