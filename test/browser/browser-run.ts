/**
 * One browser test run: a real `taskflow --role=all` process on a fresh, empty
 * database and a fresh browser context of headless Chromium (playwright-core),
 * with every console error, page error, failed request and HTTP error collected
 * in `problems` (a test asserts it is empty). Skipped with a reason where Chromium
 * is missing; CI requires it.
 *
 * Kept quick, since every browser test file starts one: the database is a new
 * PostgreSQL database when TASKFLOW_TEST_DATABASE_URL is set (ready in about a
 * second; memory:// runs initdb at every start, 3 to 10 s), the server stops
 * without a shutdown grace for running tasks, and one Chromium serves every file
 * of the `bun test` process (a context per run: nothing is shared between runs).
 */
import { mkdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page, type Response } from "playwright-core";
import { createPostgresDatabase, TEST_DATABASE_URL } from "../support/databases.ts";
import { freePort, startTaskflow, waitReady, type TaskflowProcess } from "../support/processes.ts";
import { systemToolAvailable } from "../support/system-tools.ts";

const ROOT = join(import.meta.dir, "../..");
export const SHOTS = join(ROOT, "test-output/screenshots");
const CHROMIUM = process.env.TASKFLOW_CHROMIUM ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
  "--no-first-run", "--disable-component-update", "--disable-sync",
];
/** Live updates arrive well within this; the deadline only bounds a failure. */
export const LIVE_MS = 10_000;

export const hasChromium = systemToolAvailable("chromium", existsSync(CHROMIUM), "apt-get install -y chromium");

export interface BrowserRunOptions {
  /** Extra taskflow flags (worker name, concurrency). */
  args: string[];
  viewport: { width: number; height: number };
  /** Errors the test asks for on purpose, not counted as problems. */
  expectedConsoleError?: (m: ConsoleMessage, base: string) => boolean;
  expectedResponse?: (r: Response) => boolean;
}

export interface BrowserRun {
  taskflow: TaskflowProcess;
  base: string;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** A page in a second context with JavaScript off: the dashboard's plain-form fallback. Its problems count too. */
  noScriptPage(): Promise<Page>;
  problems: string[];
  shot(name: string): Promise<unknown>;
  /** Marks the document; a reload or navigation would lose the mark. */
  markDocument(): Promise<unknown>;
  sameDocument(): Promise<boolean>;
  /** Waits until the page's live stream is open. */
  liveConnected(): Promise<void>;
  /** Stops the taskflow process (the browser stays). */
  stopServer(): Promise<void>;
  /** Starts it again on the same ports, on a fresh empty database (as memory:// would). */
  startServer(): Promise<void>;
  close(): Promise<void>;
}

/** Where a test server keeps its data: `--database-url` or `--data-dir` and how to throw it away. */
interface Store {
  flag: string;
  drop(): Promise<void>;
}

async function freshStore(): Promise<Store> {
  if (TEST_DATABASE_URL === null) return { flag: "--data-dir=memory://", drop: async () => {} };
  const db = await createPostgresDatabase();
  return { flag: `--database-url=${db.url}`, drop: db.drop };
}

/** Tests stop the server with tasks still running (`sleep 600`): kill them at once rather than wait 30 s. */
const TEST_SHUTDOWN_GRACE = "--shutdown-grace=0";

let sharedBrowser: Promise<Browser> | null = null;

/** The process's Chromium, launched by the first run; Playwright kills it when the test process exits. */
function browserOnce(): Promise<Browser> {
  sharedBrowser ??= chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  return sharedBrowser;
}

export async function startBrowserRun(opts: BrowserRunOptions): Promise<BrowserRun> {
  mkdirSync(SHOTS, { recursive: true });
  const http = freePort();
  const base = `http://127.0.0.1:${http}`;
  const args = ["--role=all", `--http=127.0.0.1:${http}`, `--grpc=127.0.0.1:${freePort()}`, TEST_SHUTDOWN_GRACE, ...opts.args];
  let store = await freshStore();
  const start = () => startTaskflow([...args, store.flag], { env: { TASKFLOW_LOG_LEVEL: "info" } });
  let taskflow = start();
  const [browser] = await Promise.all([browserOnce(), waitReady(base, taskflow, 60_000)]);
  const context = await browser.newContext({ viewport: opts.viewport });
  const problems: string[] = [];
  const watch = (page: Page) => {
    page.on("console", (m) => {
      if (m.type() === "error" && !opts.expectedConsoleError?.(m, base)) problems.push(`console error: ${m.text()} at ${m.location().url}`);
    });
    page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
    page.on("requestfailed", (r) => {
      // Leaving a page closes its event stream, and cancels its icon if the browser had only just asked
      // for it (fetched after the load, seen in CI): those aborts are expected. A missing icon still
      // shows as an HTTP error below.
      const leftBehind = r.url().includes("/live/") || new URL(r.url()).pathname === "/favicon.svg";
      if (leftBehind && r.failure()?.errorText === "net::ERR_ABORTED") return;
      problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`);
    });
    page.on("response", (r) => {
      if (r.status() >= 400 && !opts.expectedResponse?.(r)) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
    });
    return page;
  };
  const page = watch(await context.newPage());
  let noScript: BrowserContext | null = null;
  return {
    get taskflow() {
      return taskflow;
    },
    base,
    browser,
    context,
    page,
    problems,
    async noScriptPage() {
      noScript ??= await browser.newContext({ viewport: opts.viewport, javaScriptEnabled: false });
      return watch(await noScript.newPage());
    },
    // Transitions finish at once (a theme switched in place shows its end state, not a fade).
    shot: (name) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true, animations: "disabled" }),
    markDocument: () => page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true)),
    sameDocument: () => page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument === true),
    liveConnected: () => page.locator('#live-state[data-state="open"]').waitFor({ timeout: LIVE_MS }),
    async stopServer() {
      taskflow.kill("SIGTERM");
      await taskflow.exited;
      await store.drop();
    },
    async startServer() {
      store = await freshStore();
      taskflow = start();
      await waitReady(base, taskflow, 60_000);
    },
    async close() {
      await Promise.all([noScript?.close(), context.close()]);
      taskflow.kill("SIGTERM");
      await taskflow.exited;
      await store.drop();
    },
  };
}
