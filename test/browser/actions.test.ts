/**
 * Operator actions in Chromium against a real `taskflow --role=all` (issue 21):
 * bulk retry and cancel from the task list, each through a confirmation that says
 * how many tasks it touches; the Failures view's groups with their reasons; and
 * draining and resuming the worker from the workers page. All plain forms.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { waitFor } from "../support/processes.ts";
import { hasChromium, LIVE_MS, startBrowserRun, type BrowserRun } from "./browser-run.ts";

const WORKER = "actions-test-worker";

describe.skipIf(!hasChromium)("operator actions in Chromium", () => {
  let run: BrowserRun;
  let base: string;
  let page: Page;

  const api = async (path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, body === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    return res.json() as Promise<any>;
  };

  beforeAll(async () => {
    run = await startBrowserRun({ args: ["--concurrency=4", `--name=${WORKER}`, "--queues=default,bulk"], viewport: { width: 1366, height: 800 } });
    ({ base, page } = run);
  }, 90_000);

  afterAll(() => run?.close());

  test("bulk retry: the failed tasks of a filter, counted on the confirmation, retried; the Failures view groups them by reason", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await api("/api/tasks", { name: "flaky-export", command: "echo 'warming up'; echo 'quota exceeded for bucket exports' >&2; exit 2", queue: "bulk", max_retries: 0 })).id);
    await waitFor("three failures", async () => (await api("/api/tasks?status=failed&queue=bulk")).tasks.length === 3, LIVE_MS);

    await page.goto(`${base}/failures`);
    const group = page.locator("tr.failure-group", { hasText: "flaky-export" });
    expect(await group.locator(".failure-error").innerText()).toBe("quota exceeded for bucket exports");
    expect(await group.locator('td[data-label="Failed"]').innerText()).toBe("3");
    await run.shot("failures");

    await page.goto(`${base}/tasks?status=failed&queue=bulk`);
    expect(await page.locator(".task-row .failure-reason").first().innerText()).toBe("quota exceeded for bucket exports");
    await page.click(".bulk-actions button[value=retry]");
    await page.locator("h1", { hasText: "Retry 3 tasks?" }).waitFor();
    expect(await page.locator(".bulk-count").getAttribute("data-changed")).toBe("3");
    await run.shot("bulk-confirm");
    await page.click("form[action='/tasks/bulk'] button[type=submit]");
    await page.locator(".notice", { hasText: "3 tasks retried." }).waitFor();
    for (const id of ids) expect((await api(`/api/tasks/${id}`)).attempt).toBeGreaterThanOrEqual(1);
    await waitFor("each retried", async () => (await Promise.all(ids.map((id) => api(`/api/tasks/${id}`)))).every((t) => t.attempt === 2), LIVE_MS);
  });

  test("bulk cancel: the confirmation counts only what can be cancelled", async () => {
    for (let i = 0; i < 2; i++) await api("/api/tasks", { name: `later-${i}`, command: "true", queue: "bulk", delay_ms: 3_600_000 });
    await page.goto(`${base}/tasks?q=later-`);
    await page.click(".bulk-actions button[value=cancel]");
    await page.locator("h1", { hasText: "Cancel 2 tasks?" }).waitFor();
    await page.click("form[action='/tasks/bulk'] button[type=submit]");
    await page.locator(".notice", { hasText: "2 tasks cancelled." }).waitFor();
    expect((await api("/api/tasks?q=later-&status=cancelled")).tasks.length).toBe(2);
  });

  test("drain and resume the worker from the workers page", async () => {
    await page.goto(`${base}/workers`);
    await run.liveConnected();
    const row = page.locator("tr.worker-row", { hasText: WORKER });
    await Promise.all([page.waitForURL(/\/workers/), row.locator("button", { hasText: "Drain" }).click()]);
    await row.locator(".badge-draining").waitFor({ timeout: LIVE_MS });
    // Submitted while the worker drains, it runs once the worker is resumed.
    const held = await api("/api/tasks", { name: "held while draining", command: "true" });
    await Promise.all([page.waitForURL(/\/workers/), row.locator("button", { hasText: "Resume" }).click()]);
    await row.locator(".badge-alive").waitFor({ timeout: LIVE_MS });
    await waitFor("the held task to run after resume", async () => (await api(`/api/tasks/${held.id}`)).status === "completed", LIVE_MS);
  });

  test("no console errors and no failed requests", () => {
    expect(run.problems).toEqual([]);
  });
});
