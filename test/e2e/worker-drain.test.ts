/**
 * Drain and resume from the API, with a real coordinator and worker process: a
 * drained worker finishes its running task and takes no new one; resumed, it
 * takes it; drained and stopped (SIGTERM), it shows as `left`, not `dead`.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { waitFor } from "../support/processes.ts";
import { WorkerCluster } from "../support/worker-cluster.ts";

let cluster: WorkerCluster;
beforeAll(async () => {
  cluster = await WorkerCluster.start();
});
afterAll(async () => {
  await cluster?.stop();
});

interface WorkerView {
  id: string;
  name: string;
  status: string;
}

async function worker(name: string): Promise<WorkerView | undefined> {
  const r = await fetch(`${cluster.api}/api/workers`);
  return ((await r.json()) as { workers: WorkerView[] }).workers.find((w) => w.name === name);
}

async function post(path: string): Promise<{ status: number; body: WorkerView }> {
  const r = await fetch(`${cluster.api}${path}`, { method: "POST" });
  return { status: r.status, body: (await r.json()) as WorkerView };
}

test("drain: the running task finishes, no new task starts; resume: it does; drained and stopped: left", async () => {
  const p = cluster.startWorker("drainer", "drainq");
  await cluster.waitWorkerJoined("drainer");
  const w = await waitFor("the worker row", () => worker("drainer"));
  const first = await cluster.submit({ name: "first", command: "sleep 1", queue: "drainq" });
  await cluster.waitTask(first.id, (t) => t.status === "running", "the first task to run");
  const running = (await (await fetch(`${cluster.api}/api/tasks?worker_id=${w.id}&status=running`)).json()) as { tasks: { id: string }[] };
  expect(running.tasks.map((t) => t.id)).toEqual([first.id]);

  const drained = await post(`/api/workers/${w.id}/drain`);
  expect(drained).toMatchObject({ status: 200, body: { id: w.id, status: "draining" } });
  await waitFor("the worker to say it drains", () => p.output().includes("draining: taking no new tasks"));
  const second = await cluster.submit({ name: "second", command: "true", queue: "drainq" });
  await cluster.waitTask(first.id, (t) => t.status === "completed", "the running task to finish while draining");
  // Several heartbeats later, the worker still drains and the second task still waits.
  await Bun.sleep(1000);
  expect((await cluster.task(second.id)).status).toBe("scheduled");
  expect((await worker("drainer"))?.status).toBe("draining");

  expect(await post(`/api/workers/${w.id}/resume`)).toMatchObject({ status: 200, body: { status: "alive" } });
  await cluster.waitTask(second.id, (t) => t.status === "completed", "the second task to run after resume");
  expect((await worker("drainer"))?.status).toBe("alive");

  expect((await post(`/api/workers/${w.id}/drain`)).status).toBe(200);
  await waitFor("the worker to drain again", () => p.output().split("draining: taking no new tasks").length > 2);
  p.kill("SIGTERM");
  expect(await p.exited).toBe(0);
  await waitFor("the worker to show as left", async () => (await worker("drainer"))?.status === "left");
  expect((await post(`/api/workers/${w.id}/resume`)).status).toBe(409);
  expect((await post(`/api/workers/not-a-worker/drain`)).status).toBe(404);
}, 90_000);
