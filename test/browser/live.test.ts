/**
 * The dashboard's live behaviour in Chromium against a real `taskflow --role=all`
 * (issue 21): a filtered list follows tasks entering and leaving its filter, a
 * row failing live shows its failure reason (stderr's last line), the first page
 * keeps its size behind an "N newer tasks" bar, and a lost server shows the
 * disconnected banner (greyed page, ages stopped) within 3 s, reconnects with a
 * bounded number of console errors, and a task page whose task is gone after the
 * restart (on a fresh, empty database) says so instead of "live".
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { waitFor } from "../support/processes.ts";
import { hasChromium, LIVE_MS, startBrowserRun, type BrowserRun } from "./browser-run.ts";

describe.skipIf(!hasChromium)("live dashboard in Chromium", () => {
  let run: BrowserRun;
  let base: string;
  let page: Page;
  /** Console errors seen while the server is away: expected, but bounded. */
  const outageErrors: string[] = [];
  let outage = false;

  const api = async (path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, body === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    return res.json() as Promise<any>;
  };

  beforeAll(async () => {
    run = await startBrowserRun({
      args: ["--concurrency=4", "--name=live-test-worker"],
      viewport: { width: 1366, height: 800 },
      expectedConsoleError: (m) => {
        if (!outage) return false;
        outageErrors.push(m.text());
        return true;
      },
      expectedResponse: (r) => outage && r.status() === 503,
    });
    ({ base, page } = run);
  }, 60_000);

  afterAll(() => run?.close());

  test("a task that starts running appears on /tasks?status=running, and is marked when it leaves", async () => {
    await page.goto(`${base}/tasks?status=running`);
    await run.liveConnected();
    await run.markDocument();
    const task = await api("/api/tasks", { name: "enters running", command: "sleep 1.5" });
    const row = page.locator(`#task-${task.id}`);
    await row.locator(".badge-running").waitFor({ timeout: LIVE_MS });
    expect(await page.locator(".empty-row").isVisible()).toBe(false);
    await page.locator(`#task-${task.id}.row-left .badge-completed`).waitFor({ timeout: LIVE_MS });
    expect(await row.locator(".left-note").innerText()).toContain("no longer matches");
    expect(await run.sameDocument()).toBe(true);
  });

  test("a task that fails while the list is open shows stderr's last line live, as the rendered page does", async () => {
    await page.goto(`${base}/tasks?q=live-failure`);
    await run.liveConnected();
    await run.markDocument();
    const task = await api("/api/tasks", { name: "live-failure", command: "echo 'starting'; echo 'disk quota exceeded on /var/spool' >&2; exit 4", max_retries: 0 });
    const reason = page.locator(`#task-${task.id} .failure-reason`);
    await page.locator(`#task-${task.id} .badge-failed`).waitFor({ timeout: LIVE_MS });
    expect(await reason.innerText()).toBe("disk quota exceeded on /var/spool");
    expect(await run.sameDocument()).toBe(true);
    await page.reload();
    expect(await reason.innerText()).toBe("disk quota exceeded on /var/spool");
  });

  test("the first page keeps its size: newer tasks wait behind a bar, the Older link stays", async () => {
    for (let i = 0; i < 4; i++) await api("/api/tasks", { name: `capped-${i}`, command: "true", queue: "capped" });
    await page.goto(`${base}/tasks?queue=capped&limit=3`);
    await run.liveConnected();
    await run.markDocument();
    const older = await page.locator("#tasks-pager a", { hasText: "Older" }).getAttribute("href");
    const rows = page.locator("#task-rows > tr.task-row");
    expect(await rows.count()).toBe(3);
    for (let i = 0; i < 2; i++) await api("/api/tasks", { name: `capped-new-${i}`, command: "true", queue: "capped" });
    const bar = page.locator("#tasks-notice .newer-bar");
    await bar.waitFor({ timeout: LIVE_MS });
    await waitFor("the bar to count both", async () => (await bar.innerText()).startsWith("2 newer tasks"), LIVE_MS, 50);
    expect(await rows.count()).toBe(3);
    expect(await page.locator("#tasks-pager a", { hasText: "Older" }).getAttribute("href")).toBe(older);
    expect(await run.sameDocument()).toBe(true);
    await Promise.all([page.waitForURL(`${base}/tasks?queue=capped&limit=3`), bar.locator("a", { hasText: "show" }).click()]);
    expect(await rows.first().locator(".task-name").innerText()).toBe("capped-new-1");
  });

  test("a lost server: banner within 3 s, ages stop, few console errors; back: live again, and a gone task says so", async () => {
    const task = await api("/api/tasks", { name: "soon forgotten", command: "true" });
    const taskPage = await run.context.newPage();
    const overview = page;
    await taskPage.goto(`${base}/tasks/${task.id}`);
    await taskPage.locator('#live-state[data-state="open"]').waitFor({ timeout: LIVE_MS });
    await overview.goto(base);
    await run.liveConnected();

    const problemsBefore = run.problems.length;
    outage = true;
    await run.stopServer();
    const stoppedAt = Date.now();
    await overview.locator("#live-banner").waitFor({ state: "visible", timeout: 3000 });
    expect(Date.now() - stoppedAt).toBeLessThan(3000);
    expect(await overview.locator("#live-state").innerText()).toBe("disconnected");
    expect(await overview.evaluate(() => getComputedStyle(document.querySelector("main")!).opacity)).not.toBe("1");
    // Ages stop ticking while the page is out of date.
    await taskPage.locator("#live-banner").waitFor({ state: "visible", timeout: 3000 });
    const age = taskPage.locator('time[data-rel="ago"]').first();
    const frozen = await age.innerText();
    // A ticking page would change this text within a second and a half once it reads past "just now" (5 s).
    const wouldHaveTicked = Math.max(Date.parse((await age.getAttribute("datetime"))!) + 5000, Date.now()) + 1500;
    await overview.waitForTimeout(wouldHaveTicked - Date.now());
    expect(await age.innerText()).toBe(frozen);
    await overview.screenshot({ path: `${process.cwd()}/test-output/screenshots/disconnected.png` });

    await run.startServer();
    await overview.locator('#live-state[data-state="open"]').waitFor({ timeout: 15_000 });
    expect(await overview.locator("#live-banner").isVisible()).toBe(false);
    outage = false;
    // Failed requests while away are the stream and the probe of /readyz, nothing else.
    for (const p of run.problems.splice(problemsBefore)) expect(p).toMatch(/^request failed: GET \S+\/(readyz|live\/\S*) /);
    // Two pages over ~10 s away: without the bounded probe this was ~70 errors in 15 s for one page.
    expect(outageErrors.length).toBeLessThanOrEqual(20);

    // The restarted server (a fresh, empty database) has no such task: the open task page says it is gone, not "live".
    await taskPage.locator("[data-task-gone]").waitFor({ timeout: 15_000 });
    expect(await taskPage.locator("#live-state").innerText()).toBe("task gone");
    await taskPage.close();
  });

  test("no console errors and no failed requests outside the outage", () => {
    expect(run.problems).toEqual([]);
  });
});
