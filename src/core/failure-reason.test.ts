import { expect, test } from "bun:test";
import { FAILURE_REASON_MAX_CHARS, failureReason } from "./failure-reason.ts";

test("an exit code gives way to stderr's last non-empty line", () => {
  expect(failureReason("exit code 1", "step 1\nError: disk full\n\n  \n")).toBe("Error: disk full");
  expect(failureReason("exit code 2", "")).toBe("exit code 2");
  expect(failureReason("exit code 2", null)).toBe("exit code 2");
});

test("an error that says more than the exit code wins: lost, timeout, cancel", () => {
  expect(failureReason("worker w1 was lost (no heartbeat for 10000 ms)", "halfway")).toBe("worker w1 was lost (no heartbeat for 10000 ms)");
  expect(failureReason("timed out after 30000 ms", "working")).toBe("timed out after 30000 ms");
  expect(failureReason(null, "only stderr\r\n")).toBe("only stderr");
  expect(failureReason(null, null)).toBeNull();
});

test("long reasons are cut to a short line", () => {
  const r = failureReason("exit code 1", "x".repeat(1000))!;
  expect([...r].length).toBe(FAILURE_REASON_MAX_CHARS);
  expect(r.endsWith("…")).toBe(true);
});
