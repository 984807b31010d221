import { expect, test } from "bun:test";
import type { DispatchOutput } from "../proto/index.ts";
import type { ProcessHandle, ProcessResult, ProcessStart, RunProcessOptions } from "./process-runner.ts";
import type { FinishedReport } from "./result-outbox.ts";
import { finishedReport, TaskSlots, type RunningAttempt } from "./task-slots.ts";

/**
 * A process starter whose processes end when the test says so. They start at once
 * (pid 1001, 1002, … at time 10), or when the test calls `begin` if `deferStart`.
 */
function fakeRunner(deferStart = false) {
  const started: Array<{ opts: RunProcessOptions; begin: () => void; end: (r: Partial<ProcessResult>) => void; cancelled: string[]; killed: string[] }> = [];
  const start = (opts: RunProcessOptions): ProcessHandle => {
    let end!: (r: ProcessResult) => void;
    let begin!: () => void;
    const done = new Promise<ProcessResult>((resolve) => (end = resolve));
    const pid = 1001 + started.length;
    const startedPromise = new Promise<ProcessStart>((resolve) => (begin = () => resolve({ pid, startedAt: 10 })));
    const entry = {
      opts,
      begin,
      cancelled: [] as string[],
      killed: [] as string[],
      end: (r: Partial<ProcessResult>) =>
        end({ exitCode: 0, signal: null, error: "", stdoutTail: new Uint8Array(), stderrTail: new Uint8Array(), startedAt: 10, finishedAt: 20, reason: "exited", ...r }),
    };
    started.push(entry);
    if (!deferStart) begin();
    return { started: startedPromise, done, cancel: (reason) => entry.cancelled.push(reason), kill: (reason) => entry.killed.push(reason) };
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

test("never more than the capacity: a dispatch beyond it is 'full', a repeat is 'duplicate'", async () => {
  const { slots, runner } = slotsWith(2);
  const first = slots.start(dispatch("a"));
  expect(first.kind).toBe("started");
  expect(slots.start(dispatch("a")).kind).toBe("duplicate");
  const second = slots.start(dispatch("a", 2));
  expect(second.kind).toBe("started");
  expect(slots.start(dispatch("b")).kind).toBe("full");
  expect(runner.started).toHaveLength(2);
  expect(slots.free).toBe(0);
  for (const o of [first, second]) if (o.kind === "started") await o.attempt.started;
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
    envPassthrough: [],
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

test("a slot is taken at dispatch; pid and start time arrive when the process starts, before its finish is reported", async () => {
  const runner = fakeRunner(true);
  const order: string[] = [];
  const slots = new TaskSlots(1, (a) => order.push(`finished ${a.pid}`), runner.start);
  const outcome = slots.start(dispatch("a"));
  if (outcome.kind !== "started") throw new Error(`expected started, got ${outcome.kind}`);
  void outcome.attempt.started.then((a) => order.push(`started ${a.pid}`));
  expect(outcome.attempt.pid).toBe(0);
  expect(slots.free).toBe(0);
  expect(slots.start(dispatch("b")).kind).toBe("full");
  // A process that ends at once: its start still comes first.
  runner.started[0]!.end({});
  runner.started[0]!.begin();
  expect(await slots.idle(5000)).toBe(true);
  expect(order).toEqual(["started 1001", "finished 1001"]);
  expect(outcome.attempt).toMatchObject({ pid: 1001, startedAt: 10 });
});
