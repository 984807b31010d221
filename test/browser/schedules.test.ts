/**
 * The schedules page in a real browser: headless Chromium (playwright-core)
 * against a real `taskflow --role=all --data-dir=memory://` process. It creates
 * an every-second schedule from the form, watches its last run and that run's
 * task status change without a reload, pauses it, sees the paused badge,
 * follows its tasks link, and checks the pages at a phone's width. Screenshots go to test-output/screenshots/; any console
 * error or failed request fails the run.
 *
 * Needs /usr/bin/chromium (see dashboard.test.ts: CI sets TASKFLOW_BROWSER_TESTS=required).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { freePort, startTaskflow, waitFor, waitReady, type TaskflowProcess } from "../support/processes.ts";

const ROOT = join(import.meta.dir, "../..");
const SHOTS = join(ROOT, "test-output/screenshots");
const CHROMIUM = process.env.TASKFLOW_CHROMIUM ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
  "--no-first-run", "--disable-component-update", "--disable-sync",
];
/** Live updates arrive well within this; the deadline only bounds a failure. */
const LIVE_MS = 10_000;
const NAME = "heartbeat <every second>";

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  const message = `no Chromium at ${CHROMIUM}: apt-get install -y chromium`;
  if (process.env.TASKFLOW_BROWSER_TESTS === "required") throw new Error(message);
  console.warn(`skipping the schedules browser test: ${message}`);
}

describe.skipIf(!hasChromium)("schedules page in Chromium", () => {
  let taskflow: TaskflowProcess;
  let base: string;
  let profile: string;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  /** Marks the document; a reload or navigation would lose the mark. */
  const markDocument = () => page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
  const sameDocument = () => page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument === true);
  const liveConnected = () => page.locator('#live-state[data-state="open"]').waitFor({ timeout: LIVE_MS });

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const http = freePort();
    base = `http://127.0.0.1:${http}`;
    taskflow = startTaskflow(["--role=all", "--data-dir=memory://", `--http=127.0.0.1:${http}`, `--grpc=127.0.0.1:${freePort()}`, "--concurrency=2", "--name=schedules-browser-worker"], {
      env: { TASKFLOW_LOG_LEVEL: "info" },
    });
    profile = mkdtempSync(join(tmpdir(), "taskflow-chromium-"));
    [context] = await Promise.all([
      chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, viewport: { width: 1280, height: 800 } }),
      waitReady(base, taskflow, 30_000),
    ]);
    page = context.pages()[0] ?? (await context.newPage());
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console error: ${m.text()} at ${m.location().url}`);
    });
    page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
    page.on("requestfailed", (r) => {
      // Leaving a page closes its event stream: that abort is expected.
      if (r.url().includes("/live/") && r.failure()?.errorText === "net::ERR_ABORTED") return;
      problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`);
    });
    page.on("response", (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    taskflow?.kill("SIGTERM");
    await taskflow?.exited;
  });

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
    expect(await row.locator("button").innerText()).toBe("Resume");
    expect(await row.locator('td[data-label="Next run"]').innerText()).toBe("paused");
    await shot("schedules-paused");

    await Promise.all([page.waitForURL(`${base}/tasks?schedule=${id}`), row.locator("a.button", { hasText: "Tasks" }).click()]);
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
