// The ledger and its checker, on hand-made histories (each rule caught when broken,
// quiet when kept) and on real shell runs of the ledger command.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkLedger, normalizeReason, type CheckInput, type DbAttempt, type DbTask, type Fault } from "./ledger-check.ts";
import { ledgerCommand, parseLedger, readLedger, type LedgerRun } from "./ledger.ts";

const T0 = 1_700_000_000_000;
const OPTS = { overlapLimitMs: 6500, faultSlackMs: 1000, now: T0 + 100_000 };

const attempt = (n: number, over: Partial<DbAttempt> = {}): DbAttempt => ({
  attempt: n,
  status: "completed",
  worker: "w1",
  pickedAt: T0 + n * 10_000,
  startedAt: T0 + n * 10_000 + 10,
  finishedAt: T0 + n * 10_000 + 2000,
  error: null,
  ...over,
});
const run = (taskId: string, n: number, over: Partial<LedgerRun> = {}): LedgerRun => ({
  taskId,
  attempt: n,
  worker: "w1",
  pid: 100 + n,
  start: T0 + n * 10_000 + 20,
  end: T0 + n * 10_000 + 1990,
  outcome: "ok",
  ...over,
});

/** One task killed once on w1 (attempt 1 lost under a kill fault), then completed on w2. */
function retriedOnce(): CheckInput {
  const task: DbTask = {
    id: "t1",
    status: "completed",
    attempt: 2,
    attempts: [attempt(1, { status: "lost", error: "worker w1 was lost (no heartbeat for 1500 ms)" }), attempt(2, { worker: "w2" })],
  };
  const faults: Fault[] = [{ kind: "kill", target: "w1", from: T0 + 10_500, to: T0 + 10_500 }];
  return {
    accepted: ["t1"],
    tasks: new Map([["t1", task]]),
    runs: [run("t1", 1, { end: null, outcome: null }), run("t1", 2, { worker: "w2", pid: 200 })],
    faults,
  };
}

function simple(over: Partial<DbTask> = {}, runs?: LedgerRun[]): CheckInput {
  const task: DbTask = { id: "t1", status: "completed", attempt: 1, attempts: [attempt(1)], ...over };
  return { accepted: ["t1"], tasks: new Map([["t1", task]]), runs: runs ?? [run("t1", 1)], faults: [] };
}

describe("checkLedger", () => {
  test("a clean history passes, with figures", () => {
    const r = checkLedger(simple(), OPTS);
    expect(r.violations).toEqual([]);
    expect(r.stats).toMatchObject({ tasks: 1, attempts: 1, retriedTasks: 0, attemptsHistogram: { 1: 1 }, ledgerRuns: 1, extraRuns: 0 });
  });

  test("a retry caused by a fault on its worker passes, counting the extra run and its reason", () => {
    const input = retriedOnce();
    // The killed run never wrote its end; give it one so it does not run "until now".
    input.runs[0] = run("t1", 1, { end: T0 + 12_000, outcome: "ok" });
    const r = checkLedger(input, OPTS);
    expect(r.violations).toEqual([]);
    expect(r.stats).toMatchObject({ retriedTasks: 1, attemptsHistogram: { 2: 1 }, extraRuns: 1, retryReasons: { "worker wN was lost (no heartbeat for N ms)": 1 } });
  });

  test("a task that got a 201 but is missing, or is not finished, or ended otherwise, is reported", () => {
    const missing = simple();
    missing.accepted.push("t-gone");
    expect(checkLedger(missing, OPTS).violations).toEqual(["task t-gone got a 201 but is not in the database"]);
    expect(checkLedger(simple({ status: "running" }), OPTS).violations).toContain("task t1 is still running (attempt 1)");
    const failed = checkLedger(simple({ status: "failed", attempts: [attempt(1, { status: "failed", error: "exit code 1" })] }), OPTS);
    expect(failed.violations).toEqual(["task t1 ended failed, expected completed"]);
  });

  test("two successful attempts, or a gap in the numbers, are reported", () => {
    const two = simple({ attempt: 2, attempts: [attempt(1), attempt(2)] }, [run("t1", 1), run("t1", 2)]);
    expect(checkLedger(two, OPTS).violations).toContain("task t1 is completed with 2 successful attempts");
    const gap = simple({ attempt: 3, attempts: [attempt(1, { status: "lost", error: "x" }), attempt(3)] }, [run("t1", 3)]);
    expect(checkLedger(gap, OPTS).violations).toContain("task t1 has attempts [1,3], expected 1..3 with no gaps");
  });

  test("a success the ledger never saw (or saw on another worker) is reported", () => {
    expect(checkLedger(simple({}, []), OPTS).violations).toEqual(["task t1 attempt 1 completed on w1 by the database, but the ledger has no full run of it there"]);
    expect(checkLedger(simple({}, [run("t1", 1, { worker: "w9" })]), OPTS).violations[0]).toContain("no full run of it there");
  });

  test("a retry with no fault near it, or without a reason, is reported", () => {
    const input = retriedOnce();
    input.faults = [{ kind: "kill", target: "w2", from: T0 + 10_500, to: T0 + 10_500 }];
    expect(checkLedger(input, OPTS).violations.some((v) => v.includes("no injected fault hit it"))).toBe(true);
    input.faults = [{ kind: "kill", target: "w1", from: T0 + 50_000, to: T0 + 50_000 }];
    expect(checkLedger(input, OPTS).violations.some((v) => v.includes("no injected fault hit it"))).toBe(true);
    const noReason = retriedOnce();
    noReason.tasks.get("t1")!.attempts[0]!.error = null;
    expect(checkLedger(noReason, OPTS).violations).toContain("task t1 attempt 1 on w1 was retried without a recorded reason");
  });

  test("a fault on every worker ('*') covers any attempt, within the slack after it", () => {
    const input = retriedOnce();
    input.faults = [{ kind: "database restart", target: "*", from: T0 + 1000, to: T0 + 9500 }];
    expect(checkLedger(input, OPTS).violations.some((v) => v.includes("no injected fault"))).toBe(false);
    input.faults = [{ kind: "database restart", target: "*", from: T0 + 1000, to: T0 + 8000 }];
    expect(checkLedger(input, OPTS).violations.some((v) => v.includes("no injected fault"))).toBe(true);
  });

  test("an attempt that ran twice, or a run of an attempt the database does not know, is reported", () => {
    const twice = simple({}, [run("t1", 1), run("t1", 1, { pid: 999, worker: "w2" })]);
    expect(checkLedger(twice, OPTS).violations).toContain("task t1 attempt 1 ran 2 times (pids w1/101, w2/999)");
    const unknown = simple({}, [run("t1", 1), run("t1", 2, { start: T0 + 50_000, end: T0 + 51_000 })]);
    expect(checkLedger(unknown, OPTS).violations).toContain("task t1 attempt 2 ran, but the database knows only 1 attempt(s)");
    const stranger = simple();
    stranger.runs.push(run("t-x", 1));
    expect(checkLedger(stranger, OPTS).violations).toContain("the ledger has runs of task t-x, which is not in the database");
  });

  test("two runs of one task overlapping past the limit are reported; a run with no end counts until now", () => {
    const input = retriedOnce();
    // Attempt 1 kept running 8 s into attempt 2.
    input.runs[0] = run("t1", 1, { end: T0 + 20_000 + 8000, outcome: "term" });
    input.runs[1] = run("t1", 2, { worker: "w2", pid: 200, start: T0 + 20_000, end: T0 + 30_000 });
    const r = checkLedger(input, OPTS);
    expect(r.violations).toEqual(["task t1: attempts 1 (w1) and 2 (w2) ran together for 8000 ms, over the 6500 ms limit"]);
    expect(r.stats.maxOverlapMs).toBe(8000);
    const open = retriedOnce();
    open.runs[1] = run("t1", 2, { worker: "w2", pid: 200, start: T0 + 20_000, end: T0 + 21_000 });
    expect(checkLedger(open, OPTS).stats.maxOverlapMs).toBe(1000);
  });

  test("normalizeReason blanks ids and numbers", () => {
    expect(normalizeReason("worker w3 was lost (no heartbeat for 1500 ms)")).toBe("worker wN was lost (no heartbeat for N ms)");
    expect(normalizeReason("could not deliver to 0b0c7a1e-1111-4222-8333-444455556666")).toBe("could not deliver to <id>");
  });
});

describe("ledger", () => {
  test("parses start and end lines into runs, and flags malformed ones", () => {
    const text = ["t1 1 w1 100 5000 - start", "t1 1 w1 100 5000 6000 ok", "t2 2 w2 101 5000 - start", "t2 2 w2 101 5000 5500 term", "t3 1 w1 102 7000 - start", "garbage"].join("\n");
    const { runs, errors } = parseLedger(text);
    expect(runs).toEqual([
      { taskId: "t1", attempt: 1, worker: "w1", pid: 100, start: 5000, end: 6000, outcome: "ok" },
      { taskId: "t2", attempt: 2, worker: "w2", pid: 101, start: 5000, end: 5500, outcome: "term" },
      { taskId: "t3", attempt: 1, worker: "w1", pid: 102, start: 7000, end: null, outcome: null },
    ]);
    expect(errors).toEqual(['malformed ledger line: "garbage"']);
  });

  test("the ledger command records a full run, and a TERM at once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "taskflow-ledger-"));
    try {
      const ledger = join(dir, "ledger");
      const env = { ...process.env, LEDGER: ledger, TASKFLOW_TASK_ID: "t-1", TASKFLOW_ATTEMPT: "2", TASKFLOW_WORKER: "w-a" };
      const ok = Bun.spawn(["/bin/sh", "-c", ledgerCommand({ sleep: 0.05 })], { env });
      expect(await ok.exited).toBe(0);
      const long = Bun.spawn(["/bin/sh", "-c", ledgerCommand({ sleep: 30 })], { env: { ...env, TASKFLOW_ATTEMPT: "3" }, detached: true, stderr: "ignore" });
      while (readLedger(ledger).runs.length < 2) await Bun.sleep(10);
      const t0 = Date.now();
      process.kill(-long.pid, "SIGTERM");
      expect(await long.exited).toBe(143);
      expect(Date.now() - t0).toBeLessThan(1000);
      const { runs, errors } = readLedger(ledger);
      expect(errors).toEqual([]);
      expect(runs.map((r) => [r.taskId, r.attempt, r.worker, r.outcome])).toEqual([
        ["t-1", 2, "w-a", "ok"],
        ["t-1", 3, "w-a", "term"],
      ]);
      expect(runs[0]!.end! - runs[0]!.start).toBeGreaterThanOrEqual(40);
      expect(runs[1]!.pid).toBe(long.pid);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
