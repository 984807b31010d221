// The worker engine end to end, with separate real processes: a scheduler and a
// coordinator (PGlite in one process, or PostgreSQL in two when
// TASKFLOW_TEST_DATABASE_URL is set) and workers started, killed, stopped and
// frozen by the tests. Each test uses its own queue, so they share one cluster.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startTaskflow, waitFor, waitReady } from "../support/processes.ts";
import { processRuns, WorkerCluster } from "../support/worker-cluster.ts";
import { migratedDataDirFlag } from "../support/databases.ts";

const TEST_TIMEOUT_MS = 90_000;
/** Fast retries, so retry paths take milliseconds. */
const QUICK_RETRY = { backoff_ms: 100, backoff_factor: 2 };

let cluster: WorkerCluster;
let dir: string;
/** Pids of task processes that may outlive a killed worker; killed at the end. */
const strays: number[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "taskflow-worker-e2e-"));
  cluster = await WorkerCluster.start();
}, 60_000);

afterAll(async () => {
  for (const pid of strays) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The pids a task wrote to `file`, once it has written them. */
async function pidsIn(file: string): Promise<number[]> {
  return waitFor(`pids in ${file}`, () => {
    const text = (() => {
      try {
        return readFileSync(file, "utf8");
      } catch {
        return "";
      }
    })();
    const pids = text.split(/\s+/).filter(Boolean).map(Number);
    return pids.length > 0 ? pids : null;
  });
}

describe(`worker engine [${process.env.TASKFLOW_TEST_DATABASE_URL ? "postgres" : "pglite"}]`, () => {
  test("a task runs with its env and completes; its output is recorded on the attempt", async () => {
    cluster.startWorker("run-w", "q-run");
    const { id } = await cluster.submit({ name: "hello", command: 'echo "hello $WHO"; echo careful >&2', env: { WHO: "taskflow" }, queue: "q-run" });
    const t = await cluster.waitTask(id, (t) => t.status === "completed", "the task to complete");
    expect(t).toMatchObject({ attempt: 1, exit_code: 0, error: null, worker: "run-w" });
    expect(t.attempts).toMatchObject([{ attempt: 1, status: "completed", worker: "run-w", exit_code: 0, stdout_tail: "hello taskflow\n", stderr_tail: "careful\n" }]);
    // The worker's own stamp of the spawn, stored on the attempt: after the pick, on this one host's clock.
    const [attempt] = t.attempts;
    expect(attempt!.spawned_at).toEqual(expect.any(String));
    expect(Date.parse(attempt!.spawned_at!)).toBeGreaterThanOrEqual(Date.parse(attempt!.picked_at!) - 1);
    expect(t.events.map((e) => e.status)).toEqual(["created", "scheduled", "picked", "running", "completed"]);
  }, TEST_TIMEOUT_MS);

  test("cancel: a scheduled task never runs; a running one is killed with its whole group and the kill is recorded", async () => {
    const worker = cluster.startWorker("cancel-w", "q-cancel");
    const later = await cluster.submit({ name: "later", command: "echo never", queue: "q-cancel", delay_ms: 60_000 });
    expect((await cluster.post(`/api/tasks/${later.id}/cancel`)).status).toBe("cancelled");
    const pidFile = join(dir, "cancel.pids");
    const { id } = await cluster.submit({ name: "long", command: `echo started; sleep 30 & echo $! > ${pidFile}; wait`, queue: "q-cancel" });
    await cluster.waitTask(id, (t) => t.status === "running", "the task to run");
    const [child] = await pidsIn(pidFile);
    strays.push(child!);
    expect((await cluster.post(`/api/tasks/${id}/cancel`)).status).toBe("cancelled");
    await waitFor("the sleep to be killed", () => !processRuns(child!), 10_000);
    const t = await cluster.waitTask(id, (t) => t.attempts[0]?.finished_at != null, "the kill to be recorded on the attempt", 10_000);
    expect(t).toMatchObject({ status: "cancelled", attempt: 1 });
    expect(t.attempts[0]).toMatchObject({ status: "cancelled", exit_code: null, stdout_tail: "started\n" });
    // The reason names who cancelled (the API here; "dashboard" from its button).
    expect(t.attempts[0]!.error).toBe("cancelled by api");
    // A cancel is no failure and its result no stale one: one info line on the worker, no warning anywhere.
    type Line = { level: string; message: string };
    const about = (out: string) => out.split("\n").filter((l) => l.includes(id)).map((l) => JSON.parse(l) as Line);
    const workerLines = about(worker.output()).filter((l) => l.level !== "debug");
    expect(workerLines.filter((l) => l.message.includes("cancel")).map((l) => [l.level, l.message.replace(/\d+ ms/, "N ms")])).toEqual([
      ["info", `task ${id} attempt 1 cancelled after N ms: by api`],
    ]);
    expect(workerLines.some((l) => l.message.includes("failed"))).toBe(false);
    expect(about(cluster.coordinatorOutput()).filter((l) => l.level === "warning" || l.level === "error")).toEqual([]);
    const untouched = await cluster.task(later.id);
    expect(untouched).toMatchObject({ status: "cancelled", attempt: 0 });
  }, TEST_TIMEOUT_MS);

  test("a kill that takes a while is still recorded: a heartbeat from before the dispatch frees no slot of it", async () => {
    cluster.startWorker("slow-kill-w", "q-slow-kill");
    // Cancelled as soon as it runs, it dies 1 s after TERM: heartbeat batches pass meanwhile, some
    // holding a heartbeat the worker sent before it had the task (which must not count against it).
    for (let i = 0; i < 3; i++) {
      const { id } = await cluster.submit({ name: "slow kill", command: "trap 'sleep 1; exit 1' TERM; while true; do sleep 0.1; done", queue: "q-slow-kill" });
      await cluster.waitTask(id, (t) => t.status === "running", "the task to run");
      expect((await cluster.post(`/api/tasks/${id}/cancel`)).status).toBe("cancelled");
      const t = await cluster.waitTask(id, (t) => t.attempts[0]?.finished_at != null, "the kill to be recorded on the attempt", 15_000);
      expect(t.attempts[0]).toMatchObject({ status: "cancelled", exit_code: 1 });
      expect(cluster.coordinatorOutput().split("\n").filter((l) => l.includes(id) && l.includes("refused"))).toEqual([]);
    }
  }, TEST_TIMEOUT_MS);

  test("a failing task is retried with backoff, then fails after max_retries + 1 attempts", async () => {
    cluster.startWorker("retry-w", "q-retry");
    const { id } = await cluster.submit({ name: "flaky", command: "echo try; exit 3", queue: "q-retry", max_retries: 2, ...QUICK_RETRY });
    const t = await cluster.waitTask(id, (t) => t.status === "failed", "the task to fail for good");
    expect(t).toMatchObject({ attempt: 3, exit_code: 3 });
    expect(t.attempts.map((a) => [a.attempt, a.status, a.exit_code, a.stdout_tail])).toEqual([
      [1, "failed", 3, "try\n"],
      [2, "failed", 3, "try\n"],
      [3, "failed", 3, "try\n"],
    ]);
    // Each retry waited its backoff: 100 ms, then 200 ms (plus up to 10% jitter).
    const at = (a: { finished_at: string | null; picked_at: string | null }, k: "finished_at" | "picked_at") => Date.parse(a[k]!);
    const [a1, a2, a3] = t.attempts;
    expect(at(a2!, "picked_at") - at(a1!, "finished_at")).toBeGreaterThanOrEqual(100);
    expect(at(a3!, "picked_at") - at(a2!, "finished_at")).toBeGreaterThanOrEqual(200);
    expect(t.events.filter((e) => e.message?.includes("retry")).length).toBe(2);
  }, TEST_TIMEOUT_MS);

  test("a timeout kills the attempt and its whole process group", async () => {
    cluster.startWorker("timeout-w", "q-timeout");
    const pidFile = join(dir, "timeout.pids");
    const command = 'sleep 30 & echo "$$ $!" > "$PIDFILE"; wait';
    const { id } = await cluster.submit({ name: "slow", command, env: { PIDFILE: pidFile }, queue: "q-timeout", timeout_ms: 300, max_retries: 0 });
    const t = await cluster.waitTask(id, (t) => t.status === "failed", "the task to time out");
    expect(t.error).toContain("timed out after 300 ms");
    expect(t.exit_code).toBeNull();
    const [shell, sleep] = await pidsIn(pidFile);
    strays.push(shell!, sleep!);
    // The worker reports only once the group is gone: no waiting needed.
    expect(processRuns(shell!)).toBe(false);
    expect(processRuns(sleep!)).toBe(false);
  }, TEST_TIMEOUT_MS);

  test("a worker SIGKILLed mid-run: the attempt is lost and a second worker completes the task", async () => {
    const first = cluster.startWorker("kill-a", "q-kill");
    const pidFile = join(dir, "kill.pids");
    const mark = join(dir, "kill.mark");
    // The first run takes 5 s (the worker dies during it); the rerun finishes at once.
    const command = 'if [ -e "$MARK" ]; then echo done; else touch "$MARK"; sleep 5 & echo $! > "$PIDFILE"; wait; fi';
    const { id } = await cluster.submit({ name: "survivor", command, env: { PIDFILE: pidFile, MARK: mark }, queue: "q-kill", ...QUICK_RETRY });
    await cluster.waitTask(id, (t) => t.status === "running", "the task to run on kill-a");
    strays.push(...(await pidsIn(pidFile)));
    cluster.startWorker("kill-b", "q-kill");
    await cluster.waitWorkerJoined("kill-b");
    first.kill("SIGKILL");
    const t = await cluster.waitTask(id, (t) => t.status === "completed", "the task to complete on kill-b");
    expect(t).toMatchObject({ attempt: 2, worker: "kill-b", exit_code: 0 });
    expect(t.attempts.map((a) => [a.attempt, a.status, a.worker])).toEqual([
      [1, "lost", "kill-a"],
      [2, "completed", "kill-b"],
    ]);
    expect(t.attempts[0]!.error).toContain("was lost");
    expect(t.attempts[1]!.stdout_tail).toBe("done\n");
  }, TEST_TIMEOUT_MS);

  test("SIGTERM: the worker drains, finishes its running task as attempt 1, reports it and exits 0", async () => {
    const w = cluster.startWorker("term-w", "q-term");
    const { id } = await cluster.submit({ name: "finish me", command: "sleep 1; echo finished", queue: "q-term" });
    await cluster.waitTask(id, (t) => t.status === "running", "the task to run");
    w.kill("SIGTERM");
    expect(await w.exited).toBe(0);
    // The worker exits only after the coordinator read the result; writing it may take a moment.
    const t = await cluster.waitTask(id, (t) => t.status === "completed", "the result to be recorded", 5000);
    expect(t).toMatchObject({ attempt: 1, exit_code: 0, worker: "term-w" });
    expect(t.attempts[0]!.stdout_tail).toBe("finished\n");
    expect(w.output()).toContain("draining");
    expect(w.output()).not.toContain("grace of");
    expect(w.output()).not.toContain("may not have reached");
  }, TEST_TIMEOUT_MS);

  // The worker's last result arrives just before its stream ends: the session must
  // end only after that result is written, or the leave is missed.
  test("SIGTERM: the coordinator records a drained worker's leave at once", async () => {
    const w = cluster.startWorker("leave-w", "q-leave");
    const { id } = await cluster.submit({ name: "short", command: "sleep 0.5", queue: "q-leave" });
    await cluster.waitTask(id, (t) => t.status === "running", "the task to run");
    w.kill("SIGTERM");
    expect(await w.exited).toBe(0);
    await waitFor("the coordinator to record the leave", () => cluster.coordinatorOutput().includes("worker leave-w left after draining"), 5000);
  }, TEST_TIMEOUT_MS);

  test("SIGTERM past the grace: a task ignoring TERM is killed, the kill is recorded, the worker exits 0 in time", async () => {
    const w = cluster.startWorker("grace-w", "q-grace", ["--shutdown-grace=300"]);
    const { id } = await cluster.submit({ name: "stubborn", command: "trap '' TERM; sleep 30", queue: "q-grace", max_retries: 0 });
    await cluster.waitTask(id, (t) => t.status === "running", "the task to run");
    const t0 = Date.now();
    w.kill("SIGTERM");
    expect(await w.exited).toBe(0);
    // Within main's deadline (grace + 5 s), so the worker itself delivered the kill.
    expect(Date.now() - t0).toBeLessThan(300 + 5000);
    expect(w.output()).not.toContain("did not stop before the deadline");
    const t = await cluster.waitTask(id, (t) => t.status === "failed", "the kill to be recorded", 5000);
    expect(t).toMatchObject({ attempt: 1, exit_code: null, error: "cancelled: worker shutting down", worker: "grace-w" });
    expect(t.attempts[0]!.status).toBe("failed");
  }, TEST_TIMEOUT_MS);

  test("a SIGSTOPped worker past its timeout: the task reruns elsewhere, the stale result is refused, the zombie kills its child", async () => {
    const frozen = cluster.startWorker("stop-a", "q-stop");
    const pidFile = join(dir, "stop.pids");
    const mark = join(dir, "stop.mark");
    // The first run blocks; any later run finishes at once.
    const command = 'if [ -e "$MARK" ]; then echo second; else touch "$MARK"; sleep 30 & echo $! > "$PIDFILE"; wait; fi';
    const { id } = await cluster.submit({ name: "frozen", command, env: { PIDFILE: pidFile, MARK: mark }, queue: "q-stop", max_retries: 1, ...QUICK_RETRY });
    await cluster.waitTask(id, (t) => t.status === "running", "the task to run on stop-a");
    const [child] = await pidsIn(pidFile);
    strays.push(child!);
    cluster.startWorker("stop-b", "q-stop");
    await cluster.waitWorkerJoined("stop-b");
    frozen.kill("SIGSTOP");
    try {
      const done = await cluster.waitTask(id, (t) => t.status === "completed", "the task to rerun on stop-b");
      expect(done).toMatchObject({ attempt: 2, worker: "stop-b", exit_code: 0 });
      expect(processRuns(child!)).toBe(true);
    } finally {
      frozen.kill("SIGCONT");
    }
    await waitFor("the zombie worker to kill its child", () => !processRuns(child!), 15_000);
    await waitFor("the coordinator to refuse the stale result", () => cluster.coordinatorOutput().includes(`refused result of task ${id} attempt 1`), 15_000);
    const t = await cluster.task(id);
    expect(t).toMatchObject({ status: "completed", attempt: 2, worker: "stop-b", exit_code: 0, error: null });
    expect(t.attempts.map((a) => [a.attempt, a.status, a.worker, a.stdout_tail])).toEqual([
      [1, "lost", "stop-a", null],
      [2, "completed", "stop-b", "second\n"],
    ]);
    // The zombie came back as a new session rather than dying.
    expect(frozen.proc.exitCode).toBeNull();
  }, TEST_TIMEOUT_MS);
});

describe("coordinator restart", () => {
  test("a worker keeps running its tasks while the coordinator restarts, reconnects, and every task completes", async () => {
    // A long worker timeout, so the restarted coordinator resumes the session rather than declaring it dead.
    const c = await WorkerCluster.start({ persistent: true, workerTimeoutMs: 10_000 });
    try {
      c.startWorker("restart-w", "q-restart", ["--concurrency=4"]);
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) ids.push((await c.submit({ name: `r${i}`, command: `sleep 1.5; echo ok ${i}`, queue: "q-restart" })).id);
      for (const id of ids) await c.waitTask(id, (t) => t.status === "running", `task ${id} to run`);
      const old = c.coordinator;
      // A crash on PostgreSQL; on PGlite a clean stop, since that process also owns the data files.
      old.kill(c.mode === "postgres" ? "SIGKILL" : "SIGTERM");
      await old.exited;
      await c.startCoordinator();
      for (const [i, id] of ids.entries()) {
        const t = await c.waitTask(id, (t) => t.status === "completed", `task ${id} to complete`);
        expect(t.attempts.at(-1)!.stdout_tail).toBe(`ok ${i}\n`);
        expect(t.attempt).toBe(1);
      }
      expect(c.coordinator.output()).toContain("restart-w");
      expect(c.coordinator.output()).toContain("reconnected");
    } finally {
      await c.stop();
    }
  }, TEST_TIMEOUT_MS);
});

describe("--role=all", () => {
  test("one process runs a task on its own worker (joined in memory, not over its --grpc port) and stops cleanly", async () => {
    const http = `127.0.0.1:${freePort()}`;
    const p = startTaskflow(["--role=all", await migratedDataDirFlag(), `--http=${http}`, `--grpc=127.0.0.1:${freePort()}`, "--heartbeat=200"]);
    try {
      await waitReady(`http://${http}`, p);
      const r = await fetch(`http://${http}/api/tasks`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "solo", command: "echo solo" }) });
      const { id } = (await r.json()) as { id: string };
      await waitFor("the task to complete", async () => ((await (await fetch(`http://${http}/api/tasks/${id}`)).json()) as { status: string }).status === "completed", 20_000);
      p.kill("SIGTERM");
      expect(await p.exited).toBe(0);
      expect(p.output()).not.toContain("cannot reach coordinator");
    } finally {
      p.kill("SIGKILL");
    }
  }, TEST_TIMEOUT_MS);
});
