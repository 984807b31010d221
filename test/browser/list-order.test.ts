/**
 * The task list's order in Chromium against a real `taskflow --role=all` (issue 21):
 * a batch (one creation time for all its tasks) appears in the order it was
 * submitted, newest first, both as the live stream inserts it and as the page
 * renders it; and "Hide tasks made by schedules" hides a schedule's tasks, on the
 * page and among the rows the live stream inserts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { waitFor } from "../support/processes.ts";
import { hasChromium, LIVE_MS, startBrowserRun, type BrowserRun } from "./browser-run.ts";

describe.skipIf(!hasChromium)("task list order in Chromium", () => {
  let run: BrowserRun;
  let base: string;
  let page: Page;

  const api = async (path: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    expect(res.status).toBeLessThan(300);
    return res.json() as Promise<any>;
  };
  const shownNames = () => page.locator("#task-rows > tr.task-row .task-name").allInnerTexts();

  beforeAll(async () => {
    run = await startBrowserRun({ args: ["--concurrency=2", "--name=order-test-worker"], viewport: { width: 1366, height: 800 } });
    ({ base, page } = run);
  }, 60_000);

  afterAll(() => run?.close());

  test("a batch appears in submission order, newest first: inserted live, and after a reload", async () => {
    const names = Array.from({ length: 40 }, (_, i) => `ordered-${String(i).padStart(2, "0")}`);
    await page.goto(`${base}/tasks?queue=ordered`);
    await run.liveConnected();
    await run.markDocument();
    await api("/api/tasks/batch", { tasks: names.map((name) => ({ name, command: "true", queue: "ordered" })) });
    await waitFor("the whole batch on the page", async () => (await shownNames()).length === names.length, LIVE_MS, 50);
    expect(await run.sameDocument()).toBe(true);
    const newestFirst = [...names].reverse();
    expect(await shownNames()).toEqual(newestFirst);
    await page.reload();
    expect(await shownNames()).toEqual(newestFirst);
    expect(run.problems).toEqual([]);
  });

  test("Hide tasks made by schedules: ticked, a schedule's task is hidden, also when it arrives live", async () => {
    const schedule = await api("/api/schedules", { name: "hidden nightly", cron: "0 3 * * *", paused: true, task: { command: "true", queue: "hiding" } });
    const runNow = async () => (await api(`/api/schedules/${schedule.id}/run`, {})).id as string;
    const fromSchedule = await runNow();
    const byHand = await api("/api/tasks", { name: "by hand", command: "true", queue: "hiding" });
    await page.goto(`${base}/tasks?queue=hiding`);
    expect(await page.locator(`#task-${fromSchedule}`).count()).toBe(1);
    await page.getByLabel("Hide tasks made by schedules").check();
    await Promise.all([page.waitForURL(/from_schedule=false/), page.getByRole("button", { name: "Filter" }).click()]);
    expect(await page.getByLabel("Hide tasks made by schedules").isChecked()).toBe(true);
    expect(await page.locator(`#task-${fromSchedule}`).count()).toBe(0);
    expect(await page.locator(`#task-${byHand.id}`).count()).toBe(1);
    // Live: the schedule's next task stays out, a task by hand comes in (after it, so the first had its chance).
    await run.liveConnected();
    const liveFromSchedule = await runNow();
    const liveByHand = await api("/api/tasks", { name: "by hand, live", command: "true", queue: "hiding" });
    await page.locator(`#task-${liveByHand.id}`).waitFor({ timeout: LIVE_MS });
    expect(await page.locator(`#task-${liveFromSchedule}`).count()).toBe(0);
    expect(run.problems).toEqual([]);
  });
});
