/**
 * Operator actions in Chromium against a real `taskflow --role=all` (issue 21):
 * bulk retry and cancel from the task list and the Failures view, each through a
 * confirmation that says how many tasks it touches; draining and resuming the
 * worker. With JavaScript the forms are enhanced by htmx: the confirmation and
 * the result appear in place, the page is never reloaded (a mark set on `window`
 * survives). Without JavaScript the same forms still work as plain forms.
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
  /** The page is the one loaded at `url`: no navigation, no reload since the mark. */
  const stayed = async (url: string) => {
    expect(page.url()).toBe(url);
    expect(await run.sameDocument()).toBe(true);
  };

  beforeAll(async () => {
    run = await startBrowserRun({ args: ["--concurrency=4", `--name=${WORKER}`, "--queues=default,bulk"], viewport: { width: 1366, height: 800 } });
    ({ base, page } = run);
  }, 90_000);

  afterAll(() => run?.close());

  test("bulk retry from the Failures view: grouped by reason, counted and retried in place", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await api("/api/tasks", { name: "flaky-export", command: "echo 'warming up'; echo 'quota exceeded for bucket exports' >&2; exit 2", queue: "bulk", max_retries: 0 })).id);
    await waitFor("three failures", async () => (await api("/api/tasks?status=failed&queue=bulk")).tasks.length === 3, LIVE_MS);

    await page.goto(`${base}/failures`);
    const group = page.locator("tr.failure-group", { hasText: "flaky-export" });
    expect(await group.locator(".failure-error").innerText()).toBe("quota exceeded for bucket exports");
    expect(await group.locator('td[data-label="Failed"]').innerText()).toBe("3");
    await run.shot("failures");

    await run.markDocument();
    await group.locator("a", { hasText: "Retry all" }).click();
    const panel = page.locator("#bulk-panel");
    await panel.locator(".bulk-title", { hasText: "Retry 3 tasks?" }).waitFor();
    expect(await panel.locator(".bulk-count").getAttribute("data-changed")).toBe("3");
    await stayed(`${base}/failures`);
    await run.shot("bulk-confirm");
    await panel.locator("button[type=submit]").click();
    await panel.locator(".notice", { hasText: "3 tasks retried." }).waitFor();
    await stayed(`${base}/failures`);
    await waitFor("each retried", async () => (await Promise.all(ids.map((id) => api(`/api/tasks/${id}`)))).every((t) => t.attempt === 2), LIVE_MS);
  });

  test("bulk cancel from the task list: the confirmation counts only what can be cancelled, in place", async () => {
    for (let i = 0; i < 2; i++) await api("/api/tasks", { name: `later-${i}`, command: "true", queue: "bulk", delay_ms: 3_600_000 });
    const url = `${base}/tasks?q=later-`;
    await page.goto(url);
    await run.liveConnected();
    await run.markDocument();
    await page.click(".bulk-actions button[value=cancel]");
    const panel = page.locator("#bulk-panel");
    await panel.locator(".bulk-title", { hasText: "Cancel 2 tasks?" }).waitFor();
    await stayed(url);
    // Back closes the panel in place and cancels nothing; asked again, it counts the same.
    await panel.locator("a", { hasText: "Back" }).click();
    await waitFor("the panel to close", async () => (await page.locator("#bulk-panel .bulk-title").count()) === 0, LIVE_MS, 50);
    await stayed(url);
    expect((await api("/api/tasks?q=later-&status=cancelled")).tasks.length).toBe(0);
    await page.click(".bulk-actions button[value=cancel]");
    await panel.locator(".bulk-title", { hasText: "Cancel 2 tasks?" }).waitFor();
    await panel.locator("button[type=submit]").click();
    await panel.locator(".notice", { hasText: "2 tasks cancelled." }).waitFor();
    // The rows follow live.
    await waitFor("both rows cancelled", async () => (await page.locator("#task-rows .badge-cancelled").count()) === 2, LIVE_MS, 50);
    await stayed(url);
    expect((await api("/api/tasks?q=later-&status=cancelled")).tasks.length).toBe(2);
  });

  test("drain and resume the worker in place; the result shows above the table", async () => {
    await page.goto(`${base}/workers`);
    await run.liveConnected();
    await run.markDocument();
    const row = page.locator("tr.worker-row", { hasText: WORKER });
    await row.locator("button", { hasText: "Drain" }).click();
    await page.locator("#worker-notice .notice", { hasText: `${WORKER} is draining` }).waitFor();
    await row.locator(".badge-draining").waitFor({ timeout: LIVE_MS });
    // Submitted while the worker drains, it runs once the worker is resumed.
    const held = await api("/api/tasks", { name: "held while draining", command: "true" });
    await row.locator("button", { hasText: "Resume" }).click();
    await page.locator("#worker-notice .notice", { hasText: `${WORKER} takes tasks again.` }).waitFor();
    await row.locator(".badge-alive").waitFor({ timeout: LIVE_MS });
    await stayed(`${base}/workers`);
    await waitFor("the held task to run after resume", async () => (await api(`/api/tasks/${held.id}`)).status === "completed", LIVE_MS);
  });

  test("without JavaScript, bulk cancel and drain still work as plain forms", async () => {
    const plain = await run.noScriptPage();
    for (let i = 0; i < 2; i++) await api("/api/tasks", { name: `nojs-${i}`, command: "true", queue: "bulk", delay_ms: 3_600_000 });
    await plain.goto(`${base}/tasks?q=nojs-`);
    await Promise.all([plain.waitForURL(/\/tasks\/bulk\?/), plain.click(".bulk-actions button[value=cancel]")]);
    await plain.locator("h1", { hasText: "Cancel 2 tasks?" }).waitFor();
    await Promise.all([plain.waitForURL(/\/tasks\?q=nojs-&bulk=cancel&changed=2$/), plain.click("form[action='/tasks/bulk'] button[type=submit]")]);
    await plain.locator(".notice", { hasText: "2 tasks cancelled." }).waitFor();
    expect((await api("/api/tasks?q=nojs-&status=cancelled")).tasks.length).toBe(2);

    await plain.goto(`${base}/workers`);
    const row = plain.locator("tr.worker-row", { hasText: WORKER });
    await Promise.all([plain.waitForURL(/\/workers#worker-/), row.locator("button", { hasText: "Drain" }).click()]);
    await row.locator(".badge-draining").waitFor();
    await Promise.all([plain.waitForURL(/\/workers#worker-/), row.locator("button", { hasText: "Resume" }).click()]);
    // The URL was already this one: the answer is the page with the worker alive again.
    await row.locator(".badge-alive").waitFor({ timeout: LIVE_MS });
    expect((await api("/api/workers")).workers.find((w: { name: string }) => w.name === WORKER).status).toBe("alive");
    await plain.close();
  });

  test("no console errors and no failed requests", () => {
    expect(run.problems).toEqual([]);
  });
});
