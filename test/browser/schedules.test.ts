/**
 * The schedules page in a real browser: headless Chromium (playwright-core)
 * against a real `taskflow --role=all` process (browser-run.ts). It creates
 * an every-second schedule from the form, watches its last run and that run's
 * task status change without a reload, pauses it, sees the paused badge,
 * follows its tasks link, and checks the pages at a phone's width. Screenshots go to test-output/screenshots/; any console
 * error or failed request fails the run.
 *
 * Needs /usr/bin/chromium: skipped with a reason without it; required in CI (see browser-run.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { waitFor } from "../support/processes.ts";
import { hasChromium, LIVE_MS, startBrowserRun, type BrowserRun } from "./browser-run.ts";

const NAME = "heartbeat <every second>";

describe.skipIf(!hasChromium)("schedules page in Chromium", () => {
  let run: BrowserRun;
  let base: string;
  let page: Page;
  let problems: string[];

  const shot = (name: string) => run.shot(name);
  const markDocument = () => run.markDocument();
  const sameDocument = () => run.sameDocument();
  const liveConnected = () => run.liveConnected();

  beforeAll(async () => {
    run = await startBrowserRun({ args: ["--concurrency=2", "--name=schedules-browser-worker"], viewport: { width: 1280, height: 800 } });
    ({ base, page, problems } = run);
  }, 60_000);

  afterAll(() => run?.close());

  test("create an every-second schedule, watch it run live, pause it, open its tasks", async () => {
    await page.goto(`${base}/schedules`);
    await page.locator("td.empty", { hasText: "No schedules yet" }).waitFor();
    await Promise.all([page.waitForURL(`${base}/schedules/new`), page.click("a.button:has-text('New schedule')")]);
    await page.fill("#f-name", NAME);
    await page.fill("#f-cron", "* * * * * *");
    await page.fill("#f-command", "echo tick");
    await shot("new-schedule");
    await Promise.all([page.waitForURL(/\/schedules#schedule-[0-9a-f-]{36}$/), page.click("button[type=submit]")]);
    const id = page.url().split("#schedule-").pop()!;
    const row = page.locator(`#schedule-${id}`);
    expect(await row.locator(".task-name").innerText()).toBe(NAME);
    expect(await row.locator(".cron").innerText()).toBe("* * * * * *");
    expect(await row.locator(".badge-active").innerText()).toBe("active");

    // Live, without a reload: ticks make tasks, the last run moves on and its task completes.
    await liveConnected();
    await markDocument();
    const lastTask = row.locator("a.badge-link");
    await row.locator("a.badge-link .badge-completed").waitFor({ timeout: LIVE_MS });
    const firstSeen = await lastTask.getAttribute("href");
    await waitFor("a newer run to replace the last one", async () => (await lastTask.getAttribute("href")) !== firstSeen, LIVE_MS, 100);
    expect(await lastTask.getAttribute("href")).toMatch(/^\/tasks\/[0-9a-f-]{36}$/);
    expect(await sameDocument()).toBe(true);
    await shot("schedules");

    await Promise.all([page.waitForURL(`${base}/schedules#schedule-${id}`), row.locator("button", { hasText: "Pause" }).click()]);
    await row.locator(".badge-paused").waitFor({ timeout: LIVE_MS });
    expect(await row.locator(`form[action="/schedules/${id}/resume"] button`).innerText()).toBe("Resume");
    expect(await row.locator('td[data-label="Next run"]').innerText()).toBe("paused");
    await shot("schedules-paused");

    await Promise.all([page.waitForURL(`${base}/tasks?schedule_id=${id}`), row.locator("a.button", { hasText: "Tasks" }).click()]);
    expect(await page.locator(".filter-chip .chip-name").innerText()).toBe(NAME);
    const names = await page.locator("#task-rows .task-name").allInnerTexts();
    expect(names.length).toBeGreaterThanOrEqual(2);
    expect(new Set(names)).toEqual(new Set([NAME]));
  }, 30_000);

  test("the schedules page and form fit a phone's width", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [name, path] of [["schedules", "/schedules"], ["new-schedule", "/schedules/new"]] as const) {
      await page.goto(`${base}${path}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      await shot(`phone-${name}`);
    }
  });

  test("no console errors and no failed requests along the way", () => {
    expect(problems).toEqual([]);
  });
});
