// Placement on real processes (docs/placement.md): three workers with different labels,
// selector tasks only on matching workers, fanout "all" exactly once per live matching
// worker (by the names the processes themselves write), the parent following its
// children, and a dead pinned worker's child retried on the same worker when it returns
// or on another matching one with fanout_retry "any".
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor, type TaskflowProcess } from "../support/processes.ts";
import { WorkerCluster, type TaskView } from "../support/worker-cluster.ts";

let c: WorkerCluster;
const stamps = mkdtempSync(join(tmpdir(), "taskflow-placement-"));
const workers = new Map<string, TaskflowProcess>();
const LABELS: Record<string, string> = { "w-eu": "region=eu,disk=ssd", "w-us": "region=us,gpu=a100", "w-eu2": "region=eu" };

function start(name: string): void {
  workers.set(name, c.startWorker(name, "default", [`--labels=${LABELS[name]}`]));
}

beforeAll(async () => {
  c = await WorkerCluster.start();
  for (const name of Object.keys(LABELS)) start(name);
  for (const name of Object.keys(LABELS)) await c.waitWorkerJoined(name);
}, 60_000);
afterAll(async () => {
  await c?.stop();
  rmSync(stamps, { recursive: true, force: true });
});

async function get<T>(path: string): Promise<T> {
  const r = await fetch(`${c.api}${path}`);
  if (r.status !== 200) throw new Error(`GET ${path} answered ${r.status}: ${await r.text()}`);
  return (await r.json()) as T;
}
const children = async (parent: string) => (await get<{ tasks: (TaskView & { pinned_worker: string | null })[] }>(`/api/tasks?parent_id=${parent}`)).tasks;
const lines = (file: string) => readFileSync(file, "utf8").trim().split("\n").filter(Boolean);

test("workers advertise their labels, with hostname, os and arch added, in /api/workers", async () => {
  const { workers: list } = await get<{ workers: { name: string; status: string; labels: Record<string, string> }[] }>("/api/workers");
  const eu = list.find((w) => w.name === "w-eu" && w.status === "alive")!;
  expect(eu.labels).toMatchObject({ region: "eu", disk: "ssd", os: process.platform, arch: process.arch });
  expect(eu.labels.hostname).toBeString();
});

test("a selector task runs only on workers whose labels match", async () => {
  const eu = await Promise.all(Array.from({ length: 6 }, (_, i) => c.submit({ name: `eu-${i}`, command: "true", selector: { region: "eu" } })));
  const gpu = await c.submit({ name: "gpu", command: "true", selector: { gpu: "*" } });
  const done = await Promise.all([...eu, gpu].map((t) => c.waitTask(t.id, (v) => v.status === "completed", `task ${t.id} to complete`)));
  expect(new Set(done.slice(0, 6).map((t) => t.worker)).size).toBeGreaterThan(0);
  for (const t of done.slice(0, 6)) expect(["w-eu", "w-eu2"]).toContain(t.worker!);
  expect(done[6]!.worker).toBe("w-us");
});

test("a selector no live worker matches waits with a reason saying so", async () => {
  const t = await c.submit({ name: "nowhere", command: "true", selector: { region: "ap" } });
  const seen = await c.waitTask(t.id, (v) => (v as TaskView & { waiting_reason: string | null }).waiting_reason !== null, "a waiting reason");
  expect((seen as TaskView & { waiting_reason: string }).waiting_reason).toBe("no live worker serving queue default matches selector region=ap");
  await c.post(`/api/tasks/${t.id}/cancel`);
});

test('fanout "all" runs exactly once on each live matching worker; the parent follows the children', async () => {
  const file = join(stamps, "all.log");
  const parent = await c.submit({ name: "rotate", command: `echo "$TASKFLOW_WORKER" >> ${file}`, fanout: "all", selector: { region: "eu" } });
  expect((parent as TaskView & { fanout: string }).fanout).toBe("all");
  const kids = await children(parent.id);
  expect(kids.map((k) => k.pinned_worker).sort()).toEqual(["w-eu", "w-eu2"]);
  const done = await c.waitTask(parent.id, (v) => v.status === "completed", "the fanout parent to complete");
  expect(done.status).toBe("completed");
  expect(lines(file).sort()).toEqual(["w-eu", "w-eu2"]);
  // Every worker, no selector: one run each, the same set as the live workers; one failing child fails the parent.
  const all = join(stamps, "every.log");
  const mixed = await c.submit({ name: "check", command: `echo "$TASKFLOW_WORKER" >> ${all}; [ "$TASKFLOW_WORKER" != w-us ]`, fanout: "all", max_retries: 0 });
  const failed = await c.waitTask(mixed.id, (v) => v.status === "failed", "the fanout parent to fail");
  expect(failed.error).toBe("1 of 3 children did not complete");
  expect(lines(all).sort()).toEqual(["w-eu", "w-eu2", "w-us"]);
  expect((await children(mixed.id)).map((k) => `${k.worker}:${k.status}`).sort()).toEqual(["w-eu2:completed", "w-eu:completed", "w-us:failed"]);
}, 60_000);

test("a dead pinned worker's child retries on the same worker when it returns", async () => {
  const file = join(stamps, "same.log");
  const parent = await c.submit({ name: "pinned", command: `echo "$TASKFLOW_WORKER $TASKFLOW_ATTEMPT" >> ${file}; [ "$TASKFLOW_ATTEMPT" = 2 ] || sleep 30`, fanout: "all", selector: { gpu: "*" }, max_retries: 2, backoff_ms: 100 });
  const [kid] = await children(parent.id);
  await waitFor("the child to start", () => lines(file).length === 1 || null, 20_000).catch(() => null);
  await c.waitTask(kid!.id, (v) => v.status === "running", "the child to run");
  workers.get("w-us")!.kill("SIGKILL");
  // First it waits out its backoff (run_at in the future), then for its worker.
  const reason = "its worker w-us is not live (a fanout child runs only there)";
  const waiting = await c.waitTask(kid!.id, (v) => v.status === "scheduled" && (v as TaskView & { waiting_reason: string | null }).waiting_reason === reason, "the lost child to wait for its worker", 30_000);
  expect((waiting as TaskView & { waiting_reason: string }).waiting_reason).toBe(reason);
  start("w-us");
  const done = await c.waitTask(kid!.id, (v) => v.status === "completed", "the child to complete on its returned worker", 30_000);
  expect(done.attempts.map((a) => `${a.worker}:${a.status}`)).toEqual(["w-us:lost", "w-us:completed"]);
  await c.waitTask(parent.id, (v) => v.status === "completed", "the parent to complete");
}, 90_000);

test('with fanout_retry "any", a dead pinned worker\'s child retries on another matching worker', async () => {
  const file = join(stamps, "any.log");
  const parent = await c.submit({
    name: "movable", command: `echo "$TASKFLOW_WORKER" >> ${file}; [ "$TASKFLOW_WORKER" != w-eu ] || sleep 30`,
    fanout: 1, selector: { region: "eu", disk: "ssd" }, fanout_retry: "any", max_retries: 2, backoff_ms: 100,
  });
  const [kid] = await children(parent.id);
  expect(kid!.pinned_worker).toBe("w-eu");
  await c.waitTask(kid!.id, (v) => v.status === "running", "the child to run");
  // w-eu2 does not have disk=ssd: give it the label by restarting it, then kill w-eu.
  workers.get("w-eu2")!.kill("SIGKILL");
  LABELS["w-eu2"] = "region=eu,disk=ssd";
  start("w-eu2");
  await waitFor("w-eu2 to rejoin with disk=ssd", async () => {
    const { workers: list } = await get<{ workers: { name: string; status: string; labels: Record<string, string> }[] }>("/api/workers");
    return list.some((w) => w.name === "w-eu2" && w.status === "alive" && w.labels.disk === "ssd") || null;
  }, 20_000);
  workers.get("w-eu")!.kill("SIGKILL");
  const done = await c.waitTask(kid!.id, (v) => v.status === "completed", "the child to complete elsewhere", 40_000);
  expect(done.attempts.map((a) => `${a.worker}:${a.status}`)).toEqual(["w-eu:lost", "w-eu2:completed"]);
}, 90_000);
