import { expect, test } from "bun:test";
import type { DispatchOutput } from "../proto/index.ts";
import type { ProcessHandle, ProcessResult, RunProcessOptions } from "./process-runner.ts";
import type { FinishedReport } from "./result-outbox.ts";
import { finishedReport, TaskSlots, type RunningAttempt } from "./task-slots.ts";

/** A process starter whose processes end when the test says so. */
function fakeRunner() {
  const started: Array<{ opts: RunProcessOptions; end: (r: Partial<ProcessResult>) => void; cancelled: string[]; killed: string[] }> = [];
  const start = (opts: RunProcessOptions): ProcessHandle => {
    let end!: (r: ProcessResult) => void;
    const done = new Promise<ProcessResult>((resolve) => (end = resolve));
    const entry = {
      opts,
      cancelled: [] as string[],
      killed: [] as string[],
      end: (r: Partial<ProcessResult>) =>
        end({ exitCode: 0, signal: null, error: "", stdoutTail: new Uint8Array(), stderrTail: new Uint8Array(), startedAt: 10, finishedAt: 20, reason: "exited", ...r }),
    };
    started.push(entry);
    return { pid: 1000 + started.length, startedAt: 10, done, cancel: (reason) => entry.cancelled.push(reason), kill: (reason) => entry.killed.push(reason) };
  };
  return { started, start };
}

const dispatch = (taskId: string, attempt = 1, extra: Partial<DispatchOutput> = {}): DispatchOutput => ({
  task_id: taskId,
  attempt,
  name: `task ${taskId}`,
  command: "true",
  env: { A: "1" },
  queue: "default",
  timeout_ms: 0,
  ...extra,
});

function slotsWith(capacity: number) {
  const runner = fakeRunner();
  const finished: Array<{ attempt: RunningAttempt; report: FinishedReport; freeAtReport: number }> = [];
  const slots: TaskSlots = new TaskSlots(capacity, (attempt, report) => finished.push({ attempt, report, freeAtReport: slots.free }), runner.start);
  return { slots, runner, finished };
}

test("never more than the capacity: a dispatch beyond it is 'full', a repeat is 'duplicate'", () => {
  const { slots, runner } = slotsWith(2);
  expect(slots.start(dispatch("a")).kind).toBe("started");
  expect(slots.start(dispatch("a")).kind).toBe("duplicate");
  expect(slots.start(dispatch("a", 2)).kind).toBe("started");
  expect(slots.start(dispatch("b")).kind).toBe("full");
  expect(runner.started).toHaveLength(2);
  expect(slots.free).toBe(0);
  expect(slots.running()).toEqual([
    { task_id: "a", attempt: 1, started_at_ms: 10 },
    { task_id: "a", attempt: 2, started_at_ms: 10 },
  ]);
});

test("dispatch fields reach the runner: env as given plus the attempt's identity, timeout 0 means none", () => {
  const { slots, runner } = slotsWith(2);
  slots.start(dispatch("a", 1, { command: "echo hi", timeout_ms: 0 }));
  slots.start(dispatch("b", 1, { timeout_ms: 300 }));
  expect(runner.started[0]!.opts).toEqual({
    command: "echo hi",
    env: { A: "1", TASKFLOW_TASK_ID: "a", TASKFLOW_ATTEMPT: "1", TASKFLOW_WORKER: "" },
    timeoutMs: null,
  });
  expect(runner.started[1]!.opts.timeoutMs).toBe(300);
});

test("a task's env cannot hide which attempt runs: TASKFLOW_TASK_ID, TASKFLOW_ATTEMPT and TASKFLOW_WORKER win", () => {
  const runner = fakeRunner();
  const slots = new TaskSlots(1, () => {}, runner.start, "w-7");
  slots.start(dispatch("t-9", 3, { env: { TASKFLOW_ATTEMPT: "99", KEEP: "yes" } }));
  expect(runner.started[0]!.opts.env).toEqual({ KEEP: "yes", TASKFLOW_TASK_ID: "t-9", TASKFLOW_ATTEMPT: "3", TASKFLOW_WORKER: "w-7" });
});

test("an ended process frees its slot before it is reported, and idle() resolves", async () => {
  const { slots, runner, finished } = slotsWith(1);
  slots.start(dispatch("a"));
  const idle = slots.idle(5000);
  runner.started[0]!.end({ exitCode: 3, error: "exit code 3" });
  expect(await idle).toBe(true);
  expect(finished[0]!.freeAtReport).toBe(1);
  expect(finished[0]!.report).toMatchObject({ task_id: "a", attempt: 1, exit_code: 3, error: "exit code 3" });
  expect(slots.start(dispatch("b")).kind).toBe("started");
});

test("idle() gives up after its timeout; cancel reaches only the named attempt", async () => {
  const { slots, runner } = slotsWith(2);
  slots.start(dispatch("a"));
  slots.start(dispatch("b"));
  expect(await slots.idle(20)).toBe(false);
  expect(slots.cancel("a", 1, "by user")).toBe(true);
  expect(slots.cancel("zzz", 1, "unknown")).toBe(false);
  expect(runner.started.map((s) => s.cancelled)).toEqual([["by user"], []]);
  expect(slots.cancelAll("worker shutting down")).toBe(2);
  expect(runner.started.map((s) => s.cancelled.at(-1))).toEqual(["worker shutting down", "worker shutting down"]);
  expect(slots.killAll("now")).toBe(2);
  expect(runner.started.map((s) => s.killed)).toEqual([["now"], ["now"]]);
});

test("exit_code is present only when the process exited with a code", () => {
  const base: ProcessResult = { exitCode: 0, signal: null, error: "", stdoutTail: new Uint8Array([104, 105]), stderrTail: new Uint8Array(), startedAt: 1, finishedAt: 2, reason: "exited" };
  expect(finishedReport("t", 1, base)).toEqual({ task_id: "t", attempt: 1, exit_code: 0, error: "", stdout_tail: base.stdoutTail, stderr_tail: base.stderrTail, started_at_ms: 1, finished_at_ms: 2 });
  const killed = finishedReport("t", 1, { ...base, exitCode: null, signal: "SIGTERM", error: "timed out after 300 ms", reason: "timeout" });
  expect("exit_code" in killed).toBe(false);
  expect(killed.error).toBe("timed out after 300 ms");
});
