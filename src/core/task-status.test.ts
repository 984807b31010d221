import { expect, test } from "bun:test";
import { canCancel, canRetry, canTransition, isTerminal, TASK_STATUSES } from "./task-status.ts";

test("the lifecycle's allowed transitions", () => {
  expect(canTransition("created", "scheduled")).toBe(true);
  expect(canTransition("scheduled", "picked")).toBe(true);
  expect(canTransition("picked", "running")).toBe(true);
  expect(canTransition("running", "completed")).toBe(true);
  expect(canTransition("running", "failed")).toBe(true);
  expect(canTransition("running", "scheduled")).toBe(true);
  expect(canTransition("failed", "scheduled")).toBe(true);
  expect(canTransition("cancelled", "scheduled")).toBe(true);
});

test("forbidden transitions", () => {
  expect(canTransition("completed", "scheduled")).toBe(false);
  // Only a fanout parent moves scheduled → running (when its first child is picked).
  expect(canTransition("scheduled", "running")).toBe(true);
  expect(canTransition("scheduled", "completed")).toBe(false);
  expect(canTransition("created", "running")).toBe(false);
  expect(canTransition("failed", "completed")).toBe(false);
  for (const s of TASK_STATUSES) expect(canTransition("completed", s)).toBe(false);
});

test("cancel and retry rules", () => {
  expect(TASK_STATUSES.filter(canCancel)).toEqual(["created", "scheduled", "picked", "running"]);
  expect(TASK_STATUSES.filter(canRetry)).toEqual(["failed", "cancelled"]);
  expect(TASK_STATUSES.filter(isTerminal)).toEqual(["completed", "failed", "cancelled"]);
});
