import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { KILL_GRACE_MS_DEFAULT, OUTPUT_TAIL_BYTES, runProcess, type ProcessHandle, type RunProcessOptions } from "./process-runner.ts";
import { SpawnPool } from "./spawn-pool.ts";

/** Short grace so the TERM-then-KILL tests stay fast. */
const TEST_GRACE_MS = 300;
const POLL_MS = 10;

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** Alive means signalable and not a zombie (orphans may wait a while for PID 1 to reap them). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

async function waitFor(predicate: () => boolean, deadlineMs: number): Promise<boolean> {
  const end = Date.now() + deadlineMs;
  while (!predicate()) {
    if (Date.now() > end) return false;
    await Bun.sleep(POLL_MS);
  }
  return true;
}

/** The grandchild's pid, echoed by the command as its first line. */
function echoedPid(stdout: Uint8Array): number {
  const pid = Number(text(stdout).split("\n")[0]);
  expect(pid).toBeGreaterThan(1);
  return pid;
}

const pool = new SpawnPool();
afterAll(() => pool.close());

// Every behaviour holds both in process and through a spawn thread, which is how the worker runs tasks.
const starters: Array<[string, (opts: RunProcessOptions) => ProcessHandle]> = [
  ["in process", runProcess],
  ["on a spawn thread", (opts) => pool.start(opts)],
];

describe.each(starters)("runProcess %s", (_, runProcess) => {
  test("a quick `true` completes", async () => {
    const run = runProcess({ command: "true" });
    const { pid, startedAt } = await run.started;
    expect(pid).toBeGreaterThan(1);
    const result = await run.done;
    expect(result).toMatchObject({ exitCode: 0, signal: null, error: "", reason: "exited" });
    expect(result.startedAt).toBe(startedAt);
    expect(result.finishedAt).toBeGreaterThanOrEqual(result.startedAt);
    expect(result.stdoutTail.length).toBe(0);
  });

  test("captures the exit code", async () => {
    const result = await runProcess({ command: "echo oops >&2; exit 3" }).done;
    expect(result).toMatchObject({ exitCode: 3, signal: null, error: "exit code 3", reason: "exited" });
    expect(text(result.stderrTail)).toBe("oops\n");
  });

  test("runs in its own process group", async () => {
    const run = runProcess({ command: "ps -o pgid= -p $$" });
    const { pid } = await run.started;
    const result = await run.done;
    expect(Number(text(result.stdoutTail).trim())).toBe(pid);
  });

  test("passes the task env on top of the worker's", async () => {
    const result = await runProcess({
      command: 'printf "%s|%s" "$TASKFLOW_TEST_VAR" "$PATH"',
      env: { TASKFLOW_TEST_VAR: "hello world" },
    }).done;
    expect(text(result.stdoutTail)).toBe(`hello world|${process.env.PATH}`);
  });

  test("keeps exactly the last 64 KiB of stdout and of stderr", async () => {
    const result = await runProcess({ command: "seq 1 100000; seq 200000 300000 >&2" }).done;
    const seq = (from: number, to: number) => {
      const lines: string[] = [];
      for (let i = from; i <= to; i++) lines.push(`${i}\n`);
      return lines.join("");
    };
    const stdout = seq(1, 100000);
    const stderr = seq(200000, 300000);
    expect(stdout.length).toBeGreaterThan(2 * OUTPUT_TAIL_BYTES);
    expect(result.stdoutTail.length).toBe(OUTPUT_TAIL_BYTES);
    expect(result.stderrTail.length).toBe(OUTPUT_TAIL_BYTES);
    expect(text(result.stdoutTail)).toBe(stdout.slice(-OUTPUT_TAIL_BYTES));
    expect(text(result.stderrTail)).toBe(stderr.slice(-OUTPUT_TAIL_BYTES));
    expect(text(result.stdoutTail).endsWith("99999\n100000\n")).toBe(true);
  });

  test("timeout stops the whole group with TERM", async () => {
    const result = await runProcess({
      command: "sleep 100 & echo $!; wait",
      timeoutMs: 200,
      killGraceMs: 5000,
    }).done;
    expect(result).toMatchObject({ reason: "timeout", error: "timed out after 200 ms", signal: "SIGTERM" });
    expect(result.exitCode).toBeNull();
    // TERM was enough: no wait for the grace.
    expect(result.finishedAt - result.startedAt).toBeLessThan(2000);
    const grandchild = echoedPid(result.stdoutTail);
    expect(await waitFor(() => !isAlive(grandchild), 1000)).toBe(true);
  });

  test("a process ignoring TERM dies by KILL after the grace", async () => {
    const result = await runProcess({
      command: 'trap "" TERM; sleep 100 & echo $!; wait',
      timeoutMs: 100,
      killGraceMs: TEST_GRACE_MS,
    }).done;
    expect(result).toMatchObject({ reason: "timeout", signal: "SIGKILL", exitCode: null });
    expect(result.finishedAt - result.startedAt).toBeGreaterThanOrEqual(100 + TEST_GRACE_MS);
    const grandchild = echoedPid(result.stdoutTail);
    expect(await waitFor(() => !isAlive(grandchild), 1000)).toBe(true);
  });

  test("a grandchild ignoring TERM is killed even after the shell died", async () => {
    const result = await runProcess({
      command: "(trap '' TERM; exec sleep 100) & echo $!; wait",
      timeoutMs: 100,
      killGraceMs: TEST_GRACE_MS,
    }).done;
    expect(result).toMatchObject({ reason: "timeout", signal: "SIGTERM" });
    expect(result.finishedAt - result.startedAt).toBeGreaterThanOrEqual(100 + TEST_GRACE_MS);
    const grandchild = echoedPid(result.stdoutTail);
    expect(await waitFor(() => !isAlive(grandchild), 1000)).toBe(true);
  });

  test("background processes left by a finished command are stopped", async () => {
    const result = await runProcess({ command: "sleep 100 & echo $!", killGraceMs: TEST_GRACE_MS }).done;
    expect(result).toMatchObject({ exitCode: 0, error: "", reason: "exited" });
    const grandchild = echoedPid(result.stdoutTail);
    expect(await waitFor(() => !isAlive(grandchild), 1000)).toBe(true);
  });

  test("cancel stops the process with the given reason", async () => {
    const run = runProcess({ command: "sleep 100", killGraceMs: TEST_GRACE_MS });
    run.cancel("user asked");
    run.cancel("second call is ignored");
    const result = await run.done;
    expect(result).toMatchObject({ reason: "cancelled", error: "cancelled: user asked", signal: "SIGTERM" });
    expect(isAlive((await run.started).pid)).toBe(false);
  });

  test("kill sends KILL at once, without waiting out the grace", async () => {
    const ready = `/tmp/taskflow-kill-test-${process.pid}-${Date.now()}`;
    const run = runProcess({ command: `trap "" TERM; sleep 100 & echo $!; touch ${ready}; wait`, killGraceMs: 60_000 });
    // Only once the trap is set does TERM stop nothing.
    expect(await waitFor(() => existsSync(ready), 5000)).toBe(true);
    rmSync(ready);
    run.cancel("first TERM");
    await Bun.sleep(100);
    run.kill("worker shutting down");
    const result = await run.done;
    // The first cause names the stop; the kill only hastens it.
    expect(result).toMatchObject({ reason: "cancelled", error: "cancelled: first TERM", signal: "SIGKILL" });
    expect(result.finishedAt - result.startedAt).toBeLessThan(5000);
    const grandchild = echoedPid(result.stdoutTail);
    expect(await waitFor(() => !isAlive(grandchild), 1000)).toBe(true);
    run.kill("after the end: no effect");
  });

  test("cancel after exit changes nothing", async () => {
    const run = runProcess({ command: "exit 0" });
    const first = await run.done;
    run.cancel("too late");
    expect(first).toMatchObject({ reason: "exited", error: "" });
    expect(await run.done).toBe(first);
  });

  test("a spawn error resolves with reason spawn_error", async () => {
    const run = runProcess({ command: "true", cwd: "/nonexistent/taskflow-test-dir" });
    expect((await run.started).pid).toBe(0);
    run.cancel("no-op");
    const result = await run.done;
    expect(result.reason).toBe("spawn_error");
    expect(result.error).toStartWith("spawn failed: ");
    expect(result.exitCode).toBeNull();
  });

  test("the default kill grace is 5 s", () => {
    expect(KILL_GRACE_MS_DEFAULT).toBe(5000);
  });
});
