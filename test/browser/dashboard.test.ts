/**
 * The dashboard in a real browser: headless Chromium (playwright-core) against a
 * real `taskflow --role=all` process. It submits a task from the form (first with
 * an error), watches its row complete without a reload, reads its output on its
 * page, cancels a running task (confirmed in place) and retries it, and finds the
 * worker. Every page is saved under test-output/screenshots/, and any console
 * error or failed request fails the run.
 *
 * Needs /usr/bin/chromium (`apt-get install -y chromium`): skipped with a reason without it;
 * .ci/run installs it and requires it (see browser-run.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { waitFor } from "../support/processes.ts";
import { hasChromium, LIVE_MS, startBrowserRun, type BrowserRun } from "./browser-run.ts";

const WORKER = "browser-test-worker";

describe.skipIf(!hasChromium)("dashboard in Chromium", () => {
  let run: BrowserRun;
  let base: string;
  let page: Page;
  let problems: string[];

  const api = async (path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, body === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    return res.json() as Promise<any>;
  };
  const shot = (name: string) => run.shot(name);
  const markDocument = () => run.markDocument();
  const sameDocument = () => run.sameDocument();
  const liveConnected = () => run.liveConnected();

  beforeAll(async () => {
    run = await startBrowserRun({
      args: ["--concurrency=4", `--name=${WORKER}`],
      viewport: { width: 1280, height: 860 },
      // Chromium reports the refused form's 422 answer (asked for below) as a console error.
      expectedConsoleError: (m, url) => m.text().includes("status of 422") && m.location().url === `${url}/tasks`,
      // The refused form (422) is the one error page this run asks for.
      expectedResponse: (r) => r.status() === 422 && r.request().method() === "POST",
    });
    ({ base, page, problems } = run);
    // Some history for the overview: finished, failed and waiting tasks.
    for (let i = 1; i <= 3; i++) await api("/api/tasks", { name: `nightly-report-${i}`, command: `echo report ${i}` });
    await api("/api/tasks", { name: "flaky-upload", command: "echo 'upload refused' >&2; exit 3", max_retries: 0 });
    await api("/api/tasks", { name: "weekly-cleanup", command: "true", queue: "maintenance", delay_ms: 3_600_000 });
  }, 60_000);

  afterAll(() => run?.close());

  test("the overview shows counts, throughput, workers, queue lag and failures, and goes live", async () => {
    await page.goto(base);
    await liveConnected();
    expect(await page.locator("h1").innerText()).toBe("Overview");
    await page.locator(".failures .task-name", { hasText: "flaky-upload" }).waitFor({ timeout: LIVE_MS });
    await page.locator(".count-completed .count-n", { hasText: "3" }).waitFor({ timeout: LIVE_MS });
    expect(await page.locator(".counts-small .count-alive .count-n").innerText()).toBe("1");
    expect(await page.locator("table.compact td .queue").allInnerTexts()).toContain("maintenance");
    expect(await page.locator(".chart svg rect.bar-completed").count()).toBeGreaterThan(0);
    // Counts follow new tasks without a reload.
    await markDocument();
    const all = page.locator(".counts a[href='/tasks'] .count-n");
    const before = Number(await all.innerText());
    await api("/api/tasks", { name: "hourly-sync", command: "true" });
    await waitFor("the overview's count to grow", async () => Number(await all.innerText()) === before + 1, LIVE_MS, 50);
    expect(await sameDocument()).toBe(true);
    await shot("overview");
  });

  test("the form shows an empty command's error beside it; a good submit opens the task, whose row then completes live", async () => {
    await page.goto(`${base}/tasks/new`);
    await page.fill("#f-name", "browser hello");
    await page.click("button[type=submit]");
    const error = page.locator("#f-command-error");
    await error.waitFor();
    expect(await error.innerText()).toContain("must be a non-empty string");
    expect(await page.locator(".form-field.has-error label").innerText()).toBe("Command");
    expect(await page.inputValue("#f-name")).toBe("browser hello");
    await shot("new-task-error");

    await page.fill("#f-command", 'sleep 2; echo "hello from the browser"');
    await Promise.all([page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/), page.click("button[type=submit]")]);
    const id = page.url().split("/").pop()!;

    await page.goto(`${base}/tasks`);
    await liveConnected();
    await markDocument();
    const row = page.locator(`#task-${id}`);
    expect(await row.locator(".task-name").innerText()).toBe("browser hello");
    await row.locator(".badge-completed").waitFor({ timeout: LIVE_MS });
    expect(await sameDocument()).toBe(true);

    // A task submitted elsewhere appears at the top of the list, also without a reload.
    const other = await api("/api/tasks", { name: "submitted by curl", command: "true" });
    await page.locator(`#task-rows > tr:first-child#task-${other.id}`).waitFor({ timeout: LIVE_MS });
    expect(await sameDocument()).toBe(true);
    await shot("tasks");

    await Promise.all([page.waitForURL(`${base}/tasks/${id}`), row.locator(".task-name").click()]);
    await page.locator("pre.log .log-stdout", { hasText: "hello from the browser" }).waitFor();
    expect(await page.locator(".timeline-item .badge").allInnerTexts()).toEqual(["created", "scheduled", "picked", "running", "completed"]);
    expect(await page.locator(".attempt-head").innerText()).toContain(WORKER);
    expect(await page.locator(".actions button", { hasText: "Cancel" }).isDisabled()).toBe(true);
    await shot("task-detail");
  });

  test("a running task is cancelled from its page after a confirmation in place, then retried in place", async () => {
    // It takes a second to die on TERM, so its end comes after the cancel's answer.
    const task = await api("/api/tasks", { name: "long sleep", command: "trap 'sleep 1; exit 1' TERM; while true; do sleep 0.1; done" });
    await page.goto(`${base}/tasks/${task.id}`);
    await liveConnected();
    await markDocument();
    await page.locator("#task-summary .title-row .badge-running").waitFor({ timeout: LIVE_MS });
    // A running task asks first, in place: its attempt will be killed.
    await page.click(".actions button:has-text('Cancel')");
    const panel = page.locator("#task-action-panel");
    await panel.locator(".bulk-title", { hasText: "Cancel a running task?" }).waitFor();
    expect(await sameDocument()).toBe(true);
    // "Keep it running" closes the question in place; asked again, it is answered.
    await panel.locator("a", { hasText: "Keep it running" }).click();
    await waitFor("the question to close", async () => (await page.locator("#task-action-panel .bulk-title").count()) === 0, LIVE_MS, 50);
    expect(await sameDocument()).toBe(true);
    expect((await api(`/api/tasks/${task.id}`)).status).toBe("running");
    await page.click(".actions button:has-text('Cancel')");
    await panel.locator(".bulk-title", { hasText: "Cancel a running task?" }).waitFor();
    await panel.locator("button:has-text('Cancel it')").click();
    await panel.locator(".notice", { hasText: "Cancelled long sleep." }).waitFor();
    expect(await page.locator(".attempt-head", { hasText: "running" }).count()).toBe(1);
    // The summary follows live: cancelled, Retry enabled.
    await page.locator("#task-summary .title-row .badge-cancelled").waitFor({ timeout: LIVE_MS });
    await page.locator("#task-summary .actions button:has-text('Retry'):enabled").waitFor({ timeout: LIVE_MS });
    await page.locator(".timeline-item .badge-cancelled").waitFor({ timeout: LIVE_MS });
    expect(page.url()).toBe(`${base}/tasks/${task.id}`);
    // The attempt was killed on the worker: its result arrives and the slot frees up.
    await waitFor("the worker to free the slot", async () => (await api("/api/workers")).workers[0]?.running === 0, LIVE_MS);
    // The open page shows the attempt's end without a reload: the kill's error, its run time, no live log.
    await page.locator(".attempt .error-box", { hasText: "cancelled" }).waitFor({ timeout: LIVE_MS });
    await page.locator(".attempt-head", { hasText: "ran " }).waitFor({ timeout: LIVE_MS });
    expect(await page.locator("pre.log[data-follow]").count()).toBe(0);
    expect(await sameDocument()).toBe(true);
    await shot("task-cancelled");
    // Retry, in place too: the result names the fresh budget.
    await page.click("#task-summary .actions button:has-text('Retry')");
    await panel.locator(".notice", { hasText: "Retried long sleep: manual retry #1, a fresh budget of 4 attempts." }).waitFor();
    await page.locator("#task-summary .title-row .badge-running").waitFor({ timeout: LIVE_MS });
    expect(await sameDocument()).toBe(true);
    await api(`/api/tasks/${task.id}/cancel`, {});
  });

  test("a running task's output appears live, coloured, with markup as text, and follows the end", async () => {
    const command = [
      "printf '\\033[31mred alert\\033[0m\\n'",
      "echo '<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\">'",
      "echo 'to stderr' >&2",
      'for i in $(seq 1 60); do echo "line $i"; sleep 0.05; done',
    ].join("; ");
    const task = await api("/api/tasks", { name: "chatty", command });
    await page.goto(`${base}/tasks/${task.id}`);
    await liveConnected();
    await markDocument();
    const log = page.locator("pre.log");
    await log.locator("span.ansi-fg-1", { hasText: "red alert" }).waitFor({ timeout: LIVE_MS });
    await log.getByText("line 5", { exact: false }).waitFor({ timeout: LIVE_MS });
    // Seen while it runs: the summary still says running.
    expect(await page.locator("#task-summary .title-row .badge-running").count()).toBe(1);
    expect(await log.innerText()).toContain("<script>window.__pwned = 1</script>");
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await log.locator("script, img").count()).toBe(0);
    await log.getByText("line 60", { exact: false }).waitFor({ timeout: LIVE_MS });
    // The view followed the end: the newest line is scrolled into view.
    expect(await log.evaluate((el) => el.scrollTop + el.clientHeight >= el.scrollHeight - 8)).toBe(true);
    await page.locator(".attempt-head", { hasText: "exit code 0" }).waitFor({ timeout: LIVE_MS });
    // Tabs: stderr only hides stdout.
    await page.locator(".log-tab-stderr").click();
    expect(await log.locator(".log-stdout").first().isVisible()).toBe(false);
    expect(await log.locator(".log-stderr", { hasText: "to stderr" }).isVisible()).toBe(true);
    const download = await fetch(`${base}/api/tasks/${task.id}/log?download=1`);
    expect(await download.text()).toContain("line 60\n");
    expect(await sameDocument()).toBe(true);
    await shot("task-live-output");
  });

  test("the worker is listed, alive, with its heartbeat age ticking", async () => {
    await page.goto(`${base}/workers`);
    await liveConnected();
    const row = page.locator("tr.worker-row", { hasText: WORKER });
    await row.waitFor();
    expect(await row.locator(".badge").innerText()).toBe("alive");
    expect(await row.locator(".load-text").innerText()).toMatch(/^\d+ \/ 4$/);
    expect(await row.locator(".queue").allInnerTexts()).toEqual(["default"]);
    const uptime = row.locator('td[data-label="Uptime"] time');
    const first = await uptime.innerText();
    await waitFor("the uptime to tick", async () => (await uptime.innerText()) !== first, LIVE_MS, 100);
    await shot("workers");
  });

  test("pages fit a phone's width", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [name, path] of [["overview", "/"], ["tasks", "/tasks"], ["new-task", "/tasks/new"]] as const) {
      await page.goto(`${base}${path}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      await shot(`phone-${name}`);
    }
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  test("no console errors and no failed requests along the way", () => {
    expect(problems).toEqual([]);
  });
});
