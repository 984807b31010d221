import { describe, expect, test } from "bun:test";
import { attemptText } from "../../core/attempt.ts";
import { deliveryBody, summary } from "./delivery-body.ts";

const task = (o: Record<string, unknown> = {}) => ({
  id: "3f0c0000-0000-4000-8000-000000000000", name: "backup", queue: "default", attempt: 4, max_retries: 3,
  retry_base: 0, manual_retries: 0, exit_code: 1, error: "exit code 1", schedule_id: null, ...o,
});

describe("webhook summary", () => {
  test("a task that failed in its first budget: the dashboard's attempt text", () => {
    expect(summary("task.failed", { attempt: 4, task: task() })).toBe(
      'taskflow: task "backup" failed for good after attempt 4 of at most 4: exit code 1 [queue default, id 3f0c0000-0000-4000-8000-000000000000]',
    );
  });

  test("after a manual retry the count is in the fresh budget, never 'attempt 5 of 4'", () => {
    const t = task({ attempt: 5, retry_base: 4, manual_retries: 1 });
    const text = summary("task.retrying", { attempt: 5, task: t });
    expect(text).toContain('task "backup" attempt 1 of at most 4 (manual retry #1, attempt 5 in all) failed, retrying');
    // One wording for both: the webhook uses the dashboard's function, not a copy.
    expect(text).toContain(attemptText({ attempt: 5, retryBase: 4, maxRetries: 3, manualRetries: 1 }));
    expect(summary("task.failed", { attempt: 8, task: task({ attempt: 8, retry_base: 4, manual_retries: 1 }) })).toContain(
      "failed for good after attempt 4 of at most 4 (manual retry #1, attempt 8 in all)",
    );
    expect(summary("task.lost", { attempt: 6, task: task({ attempt: 6, retry_base: 4, manual_retries: 1, error: "worker lost" }) })).toContain(
      "attempt 2 of at most 4 (manual retry #1, attempt 6 in all) was lost with its worker: worker lost",
    );
  });

  test("a delivery queued before the payload carried the budget reads it as the first budget", () => {
    const { retry_base: _b, manual_retries: _m, ...old } = task({ attempt: 2 });
    expect(summary("task.retrying", { attempt: 2, task: old })).toContain("attempt 2 of at most 4 failed, retrying");
  });

  test("slack format carries only the text", () => {
    const body = JSON.parse(deliveryBody({ id: "d", webhookId: "w", event: "task.failed", payload: { attempt: 4, task: task() }, format: "slack" }));
    expect(body).toEqual({ text: summary("task.failed", { attempt: 4, task: task() }) });
  });
});
