// The spawn pool's own behaviour: threads start on demand, tasks see the worker's
// environment, a dying thread's attempts end as lost and the pool recovers, and
// threads that cannot start fall back to in-process spawning. (Every process
// behaviour through a thread is in process-runner.test.ts.)
import { afterEach, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { waitFor } from "../../test/support/processes.ts";
import type { Logger } from "../log/logger.ts";
import { newSpawnThread, SpawnPool, type Thread } from "./spawn-pool.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

const pools: SpawnPool[] = [];
afterEach(() => {
  for (const p of pools.splice(0)) p.close();
});

/** A logger that keeps what it is told, by level. */
function recordingLog() {
  const lines: Array<{ level: string; message: string; props: Record<string, unknown> }> = [];
  const at = (level: string) => (message: string, props: Record<string, unknown> = {}) => void lines.push({ level, message, props });
  const log = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") } as unknown as Logger;
  return { log, lines };
}

/** A pool whose threads the test can reach. */
function poolWith(opts: { maxThreads?: number; createThread?: () => Thread } = {}) {
  const threads: Thread[] = [];
  const { log, lines } = recordingLog();
  const create = opts.createThread ?? newSpawnThread;
  const pool = new SpawnPool({ maxThreads: opts.maxThreads, log, createThread: () => threads[threads.push(create()) - 1]! });
  pools.push(pool);
  return { pool, threads, lines };
}

/** Alive means signalable and not a zombie (a dead thread's children are never reaped). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

test("no thread until the first task; one task at a time keeps one thread; never more than the maximum", async () => {
  const { pool } = poolWith({ maxThreads: 3 });
  expect(pool.threadCount).toBe(0);
  for (let i = 0; i < 5; i++) expect((await pool.start({ command: "true" }).done).exitCode).toBe(0);
  expect(pool.threadCount).toBe(1);
  const burst = Array.from({ length: 40 }, (_, i) => pool.start({ command: `echo ${i}` }));
  expect(pool.threadCount).toBeLessThanOrEqual(3);
  const results = await Promise.all(burst.map((r) => r.done));
  expect(results.map((r) => text(r.stdoutTail))).toEqual(burst.map((_, i) => `${i}\n`));
  expect(pool.inProcess).toBe(false);
});

test("tasks inherit the worker's environment (secrets aside: task-env.ts) as it is when they start", async () => {
  const { pool } = poolWith();
  await pool.start({ command: "true" }).done;
  process.env.SPAWN_POOL_TEST_VALUE = "set after the thread started";
  try {
    const result = await pool.start({ command: 'printf %s "$SPAWN_POOL_TEST_VALUE"' }).done;
    expect(text(result.stdoutTail)).toBe("set after the thread started");
  } finally {
    delete process.env.SPAWN_POOL_TEST_VALUE;
  }
});

test("a thread that dies: its running attempts end as lost, their groups are killed, and the next task gets a new thread", async () => {
  const { pool, threads, lines } = poolWith({ maxThreads: 1 });
  const run = pool.start({ command: "sleep 100 & echo $!; wait" });
  const { pid } = await run.started;
  expect(pid).toBeGreaterThan(1);
  threads[0]!.terminate();
  const result = await run.done;
  expect(result).toMatchObject({ reason: "lost", exitCode: null });
  expect(result.error).toMatch(/^lost: the spawn thread supervising the process died \(.*\); its process group was killed$/);
  await waitFor("the dead thread's task process to be killed", () => !isAlive(pid));
  expect(lines.some((l) => l.level === "error" && l.message.startsWith("a spawn thread died"))).toBe(true);

  const next = await pool.start({ command: "echo again" }).done;
  expect(next).toMatchObject({ exitCode: 0, reason: "exited" });
  expect(text(next.stdoutTail)).toBe("again\n");
  expect(threads).toHaveLength(2);
  expect(pool.threadCount).toBe(1);
  expect(pool.inProcess).toBe(false);
});

test("an attempt whose thread dies before it reports the start also ends as lost", async () => {
  const { pool, threads } = poolWith({ maxThreads: 1 });
  await pool.start({ command: "true" }).done;
  const run = pool.start({ command: "sleep 1" });
  threads[0]!.terminate();
  const result = await run.done;
  expect(result.reason).toBe("lost");
  expect(result.error).toStartWith("lost: the spawn thread");
});

test("threads that cannot start: a warning, then every task runs in process, stops asked for meanwhile included", async () => {
  const { pool, lines } = poolWith({ createThread: () => new Worker("file:///nonexistent/taskflow/spawn-thread.ts") as unknown as Thread });
  const cancelled = pool.start({ command: "sleep 100" });
  cancelled.cancel("asked before the fallback");
  const ok = pool.start({ command: "echo fine" });
  expect((await ok.done).exitCode).toBe(0);
  expect(text((await ok.done).stdoutTail)).toBe("fine\n");
  expect((await ok.started).pid).toBeGreaterThan(1);
  expect(await cancelled.done).toMatchObject({ reason: "cancelled", error: "cancelled: asked before the fallback" });
  expect(pool.inProcess).toBe(true);
  // A second thread may have been started before the first one failed; it fails the same way, a moment later.
  await waitFor("every failed thread to be dropped", () => pool.threadCount === 0, 5000);
  const warnings = lines.filter((l) => l.level === "warn");
  expect(warnings).toHaveLength(1);
  expect(warnings[0]!.message).toStartWith("spawn threads unavailable");
  // From now on without trying threads again.
  expect((await pool.start({ command: "true" }).done).exitCode).toBe(0);
  expect(lines.filter((l) => l.level === "warn")).toHaveLength(1);
});

test("a thread that cannot even be created: the same fallback", async () => {
  const { pool, lines } = poolWith({
    createThread: () => {
      throw new Error("no threads here");
    },
  });
  const result = await pool.start({ command: "echo fine" }).done;
  expect(result).toMatchObject({ exitCode: 0, reason: "exited" });
  expect(pool.inProcess).toBe(true);
  expect(lines.find((l) => l.level === "warn")?.props.why).toBe("could not create a thread: no threads here");
});

test("a thread that cannot be added while others run: the pool keeps the ones it has", async () => {
  let created = 0;
  const { pool, lines } = poolWith({
    maxThreads: 4,
    createThread: () => {
      if (created++ > 0) throw new Error("thread limit");
      return newSpawnThread();
    },
  });
  const runs = Array.from({ length: 8 }, (_, i) => pool.start({ command: `echo ${i}` }));
  const results = await Promise.all(runs.map((r) => r.done));
  expect(results.map((r) => r.exitCode)).toEqual(runs.map(() => 0));
  expect(pool.threadCount).toBe(1);
  expect(pool.inProcess).toBe(false);
  expect(lines.filter((l) => l.level === "warn").map((l) => l.message)).toEqual(["running on {threads} only ({why})"]);
});

test("a thread reports the starts of one burst in one message, not one message each", async () => {
  const { pool, threads } = poolWith({ maxThreads: 1 });
  // Warm: the thread is up and ready before the burst.
  expect((await pool.start({ command: "true" }).done).exitCode).toBe(0);
  const startsPerMessage: number[] = [];
  threads[0]!.addEventListener("message", (e) => {
    const n = ((e as unknown as MessageEvent<Array<{ type: string }>>).data).filter((m) => m.type === "started").length;
    if (n > 0) startsPerMessage.push(n);
  });
  const burst = Array.from({ length: 4 }, () => pool.start({ command: "sleep 0.2" }));
  await Promise.all(burst.map((r) => r.started));
  expect(startsPerMessage).toEqual([4]);
  await Promise.all(burst.map((r) => r.done));
});
