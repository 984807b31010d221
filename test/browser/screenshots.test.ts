/**
 * Screenshots of the main dashboard views for review and for the README: the
 * overview, the task list, a failed task's page and the workers page, at a laptop's
 * 1366×800 and a phone's 390×844, in light and dark mode, saved under
 * test-output/screenshots/ (`<view>-<width>-<theme>.png`). CI keeps the folder:
 * .ci/run copies it to ${CI_ARTIFACTS_DIR:-.ci/artifacts}/screenshots at exit, pass or fail.
 * docs/dashboard.png (the README's) is overview-1366-light.png copied by hand when
 * the dashboard changes. Each page must fit its width, with no console errors.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { waitFor } from "../support/processes.ts";
import { hasChromium, LIVE_MS, startBrowserRun, type BrowserRun } from "./browser-run.ts";

const SIZES = [
  { width: 1366, height: 800 },
  { width: 390, height: 844 },
] as const;
const THEMES = ["light", "dark"] as const;

describe.skipIf(!hasChromium)("dashboard screenshots", () => {
  let run: BrowserRun;
  let failedId = "";

  const api = async (path: string, body?: unknown) => {
    const res = await fetch(`${run.base}${path}`, body === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    return res.json() as Promise<any>;
  };

  beforeAll(async () => {
    run = await startBrowserRun({ args: ["--concurrency=3", "--name=build-box-eu-west-1a-7f3c", "--queues=default,reports"], viewport: SIZES[0] });
    for (let i = 1; i <= 4; i++) await api("/api/tasks", { name: `nightly-report-${i}`, command: `echo report ${i}`, queue: "reports" });
    const failed = await api("/api/tasks", {
      name: "upload-invoices-to-accounting-storage",
      command: "echo 'uploading 42 invoices'; echo 'connection refused by storage.internal:443' >&2; exit 3",
      max_retries: 0,
    });
    failedId = failed.id;
    await api("/api/tasks", { name: "resize-images", command: "sleep 600" });
    await api("/api/tasks", { name: "weekly-cleanup", command: "true", queue: "maintenance", delay_ms: 3_600_000 });
    await api("/api/tasks", { name: "send-digest", command: "true", queue: "mail" });
    await waitFor("the failure and the running task", async () => {
      const [f, r] = await Promise.all([api(`/api/tasks/${failedId}`), api("/api/tasks?status=running")]);
      return f.status === "failed" && r.tasks.length === 1;
    }, LIVE_MS);
  }, 90_000);

  afterAll(() => run?.close());

  test("overview, task list, failed task and workers at both widths in both themes", async () => {
    const page = run.page;
    const views = [
      ["overview", "/"],
      ["tasks", "/tasks"],
      ["failed-task", `/tasks/${failedId}`],
      ["workers", "/workers"],
    ] as const;
    // Each view loads once per width; the theme switches in place (prefers-color-scheme), as a system's would.
    for (const size of SIZES) {
      await page.setViewportSize(size);
      for (const [name, path] of views) {
        await page.emulateMedia({ colorScheme: THEMES[0] });
        await page.goto(`${run.base}${path}`);
        await run.liveConnected();
        await run.markDocument();
        for (const theme of THEMES) {
          await page.emulateMedia({ colorScheme: theme });
          expect(await page.evaluate((t) => matchMedia(`(prefers-color-scheme: ${t})`).matches, theme)).toBe(true);
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
          expect(overflow).toBeLessThanOrEqual(0);
          // The phone's top bar is one line.
          if (size.width < 500) expect(await page.locator(".topbar").evaluate((el) => el.getBoundingClientRect().height)).toBeLessThan(48);
          await run.shot(`${name}-${size.width}-${theme}`);
        }
        expect(await run.sameDocument()).toBe(true);
      }
    }
    expect(run.problems).toEqual([]);
  }, 120_000);
});
