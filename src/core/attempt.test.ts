import { describe, expect, test } from "bun:test";
import { attemptKey, attemptOutcome, attemptText, parseAttemptKey } from "./attempt.ts";

const s = { backoffMs: 1000, backoffFactor: 2, backoffMaxMs: 3_600_000 };
const ok = { kind: "finished", exitCode: 0, error: null } as const;
const exit1 = { kind: "finished", exitCode: 1, error: null } as const;

describe("attemptOutcome", () => {
  test("success completes; failure retries with the n-th delay, then fails for good", () => {
    const t = { ...s, maxRetries: 2 };
    expect(attemptOutcome(ok, { ...t, attempt: 1 })).toMatchObject({ taskStatus: "completed", attemptStatus: "completed", error: null, message: null });
    expect(attemptOutcome(exit1, { ...t, attempt: 1 }, () => 0)).toMatchObject({ taskStatus: "scheduled", delayMs: 1000 });
    expect(attemptOutcome(exit1, { ...t, attempt: 2 }, () => 0)).toMatchObject({ taskStatus: "scheduled", delayMs: 2000 });
    expect(attemptOutcome(exit1, { ...t, attempt: 3 }, () => 0)).toMatchObject({ taskStatus: "failed", delayMs: 0 });
  });

  test("a failure's error is the worker's, else the exit code; the timeline note says whether it retries", () => {
    const t = { ...s, maxRetries: 3, attempt: 1 };
    expect(attemptOutcome(exit1, t, () => 0)).toEqual({
      attemptStatus: "failed",
      taskStatus: "scheduled",
      delayMs: 1000,
      error: "exit code 1",
      message: "attempt 1 failed, retry 1 of 3 in 1.0 s: exit code 1",
    });
    expect(attemptOutcome({ kind: "finished", exitCode: 0, error: "timed out after 5 s" }, { ...t, attempt: 4 })).toEqual({
      attemptStatus: "failed",
      taskStatus: "failed",
      delayMs: 0,
      error: "timed out after 5 s",
      message: "attempt 4 failed, no retries left: timed out after 5 s",
    });
  });

  test("a lost worker's attempt is lost and goes through the same retry rules", () => {
    const t = { ...s, maxRetries: 1 };
    expect(attemptOutcome({ kind: "lost", reason: "worker w was lost" }, { ...t, attempt: 1 }, () => 0)).toEqual({
      attemptStatus: "lost",
      taskStatus: "scheduled",
      delayMs: 1000,
      error: "worker w was lost",
      message: "attempt 1 failed, retry 1 of 1 in 1.0 s: worker w was lost",
    });
    expect(attemptOutcome({ kind: "lost", reason: "gone" }, { ...t, attempt: 2 })).toMatchObject({ attemptStatus: "lost", taskStatus: "failed" });
  });

  test("a cancel cancels, whatever retries are left", () => {
    expect(attemptOutcome({ kind: "cancelled", reason: "cancelled by a user" }, { ...s, maxRetries: 5, attempt: 1 })).toEqual({
      attemptStatus: "cancelled",
      taskStatus: "cancelled",
      delayMs: 0,
      error: "cancelled by a user",
      message: "cancelled by a user",
    });
  });
});

test("attemptKey and parseAttemptKey round-trip", () => {
  const id = "0b6e4c8a-1f2d-4c3b-9a8e-7d6c5b4a3f2e";
  expect(attemptKey(id, 12)).toBe(`${id}:12`);
  expect(parseAttemptKey(attemptKey(id, 12))).toEqual({ taskId: id, attempt: 12 });
});

test("a manual retry's fresh budget: attempts after retry_base count, the backoff starts over, and the text never says 4 of at most 3", () => {
  const t = { attempt: 4, retryBase: 3, maxRetries: 2, backoffMs: 1000, backoffFactor: 2, backoffMaxMs: 60_000 };
  const first = attemptOutcome({ kind: "finished", exitCode: 1, error: null }, t, () => 0);
  expect(first).toMatchObject({ taskStatus: "scheduled", delayMs: 1000, message: "attempt 4 failed, retry 1 of 2 in 1.0 s: exit code 1" });
  expect(attemptOutcome({ kind: "finished", exitCode: 1, error: null }, { ...t, attempt: 6 }, () => 0)).toMatchObject({ taskStatus: "failed" });
  expect(attemptText({ attempt: 4, retryBase: 3, maxRetries: 2, manualRetries: 1 })).toBe("1 of at most 3 (manual retry #1, attempt 4 in all)");
  expect(attemptText({ attempt: 2, retryBase: 0, maxRetries: 2, manualRetries: 0 })).toBe("2 of at most 3");
});
