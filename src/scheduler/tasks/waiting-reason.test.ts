/** waiting_reason on GET /api/tasks/:id and the list, for each cause the claim has. */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { describeEachBackend } from "../../../test/support/databases.ts";
import { registerWorker } from "../../../test/support/factories.ts";
import { SchedulerTestApp, taskBody } from "../../../test/support/scheduler-app.ts";
import { claimDueTasks } from "../../db/queries/claim-due-tasks.ts";

describeEachBackend("waiting_reason", (backend) => {
  let api: SchedulerTestApp;
  beforeAll(async () => {
    api = await SchedulerTestApp.open(backend);
  });
  afterAll(() => api.close());
  beforeEach(() => api.reset());

  const submit = async (body: Record<string, unknown> = {}) => (await api.post("/api/tasks", taskBody(body))).body.id as string;
  const reason = async (id: string) => (await api.get(`/api/tasks/${id}`)).body.waiting_reason;

  test("no worker, then all slots busy, then nothing (about to be claimed); the list shows the same", async () => {
    const first = await submit();
    expect(await reason(first)).toBe("no live worker serves queue default");
    const w = await registerWorker(api.db, { concurrency: 1 });
    expect(await reason(first)).toBeNull();
    await claimDueTasks(api.db, { workerId: w, workerName: "w", queues: ["default"], limit: 1 });
    const second = await submit();
    expect(await reason(second)).toBe("all 1 slots of workers serving default are busy");
    const list = (await api.get("/api/tasks")).body.tasks;
    expect(list.map((t: { id: string; waiting_reason: string | null }) => [t.id, t.waiting_reason])).toEqual([
      [second, "all 1 slots of workers serving default are busy"],
      [first, null],
    ]);
  });

  test("run_at in the future, and a concurrency key held by others", async () => {
    await registerWorker(api.db);
    expect(await reason(await submit({ delay_ms: 60_000 }))).toBe("run_at in the future");
    const w = await registerWorker(api.db);
    const holder = await submit({ concurrency_key: "deploy-prod" });
    await claimDueTasks(api.db, { workerId: w, workerName: "w", queues: ["default"], limit: 10 });
    expect(await reason(await submit({ concurrency_key: "deploy-prod" }))).toBe(`concurrency key deploy-prod is held by 1 of 1 allowed: ${holder}`);
  });
});
