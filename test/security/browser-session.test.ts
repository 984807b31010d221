/**
 * The dashboard's sign-in and cross-site protection in a real browser (Chromium):
 * a page load is sent to the sign-in form and back after signing in; the cookie
 * is HttpOnly and SameSite=Strict; the dashboard's own forms work; a form on
 * another origin that posts to taskflow is refused and changes nothing.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { systemToolAvailable } from "../support/system-tools.ts";
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { freePort, startTaskflow, waitFor, type TaskflowProcess } from "../support/processes.ts";
import { migratedDataDirFlag } from "../support/databases.ts";

const CHROMIUM = "/usr/bin/chromium";
const TOKEN = `browser-${crypto.randomUUID()}`;
const auth = { authorization: `Bearer ${TOKEN}` };
let api: string;
let p: TaskflowProcess;
let browser: Browser;
let evil: ReturnType<typeof Bun.serve>;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) return;
  const http = freePort();
  api = `http://127.0.0.1:${http}`;
  p = startTaskflow(["--role=scheduler,coordinator", await migratedDataDirFlag(), `--http=127.0.0.1:${http}`, `--grpc=127.0.0.1:${freePort()}`], { env: { TASKFLOW_TOKEN: TOKEN } });
  await waitFor("readyz", async () => (await fetch(`${api}/readyz`, { headers: auth })).status === 200, 60_000);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  evil?.stop(true);
  p?.kill("SIGTERM");
  await p?.exited;
});

test.skipIf(!systemToolAvailable("chromium", existsSync(CHROMIUM), "apt-get install -y chromium"))("sign in, use a dashboard form, and a cross-site form post is refused", async () => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${api}/tasks`);
  expect(new URL(page.url()).pathname).toBe("/login");
  await page.fill("#f-token", "wrong");
  await page.click("button[type=submit]");
  expect(await page.textContent("body")).toContain("not the token");
  await page.fill("#f-token", TOKEN);
  await page.click("button[type=submit]");
  await page.waitForURL(`${api}/tasks`);
  const [cookie] = await page.context().cookies(api);
  expect(cookie).toMatchObject({ name: "taskflow_session", httpOnly: true, sameSite: "Strict" });
  expect(cookie!.value).not.toContain(TOKEN);
  expect(await page.evaluate(() => document.cookie)).toBe("");

  // A task to act on, then the dashboard's own cancel form (same origin) works.
  const created = await fetch(`${api}/api/tasks`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ name: "b", command: "true", delay_ms: 3_600_000 }) });
  const { id } = await created.json();
  const status = async () => (await (await fetch(`${api}/api/tasks/${id}`, { headers: auth })).json()).status;

  // Another origin (another port on the same host: same site, not same origin) posts a form to taskflow.
  evil = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () =>
      new Response(`<form id="f" method="post" action="${api}/tasks/${id}/cancel"></form><script>document.getElementById("f").submit()</script>`, {
        headers: { "content-type": "text/html" },
      }),
  });
  const attack = await page.context().newPage();
  const refused = attack.waitForResponse((r) => r.url().endsWith(`/tasks/${id}/cancel`));
  await attack.goto(`http://127.0.0.1:${evil.port}/`);
  expect((await refused).status()).toBe(403);
  expect(await status()).toBe("scheduled");

  await page.goto(`${api}/tasks/${id}`);
  await page.locator(`form[action="/tasks/${id}/cancel"] button`).first().click();
  await waitFor("the dashboard's own cancel form to apply", async () => (await status()) === "cancelled");
}, 60_000);
