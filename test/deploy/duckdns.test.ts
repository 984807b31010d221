/**
 * deploy/duckdns.sh (compose.yaml's `duckdns` profile) against a fake DuckDNS on
 * loopback, run by dash as the strictest POSIX sh at hand (the container's
 * /bin/sh is busybox ash): the update request it sends, the answers it logs, that
 * the token never reaches the log, and that it keeps going after a refusal and
 * retries an endpoint that does not answer.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { Server, Subprocess } from "bun";
import { join } from "node:path";
import { freePort, waitFor } from "../support/processes.ts";
import { findProgram, systemToolAvailable } from "../support/system-tools.ts";
import { ROOT } from "./compose-file.ts";

const SCRIPT = join(ROOT, "deploy/duckdns.sh");
const TOKEN = "a7c4d0ad-114e-40ef-ba1d-d217904a50f2";

const dash = findProgram("dash", ["/bin/dash", "/usr/bin/dash"]);
const curl = findProgram("curl");
const hasTools =
  systemToolAvailable("dash", dash !== null, "apt-get install -y dash") && systemToolAvailable("curl", curl !== null, "apt-get install -y curl");

interface Updater {
  proc: Subprocess<"ignore", "ignore", "pipe">;
  log(): string;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function startUpdater(env: Record<string, string>): Updater {
  const proc = Bun.spawn([dash!, SCRIPT], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", DUCKDNS_TOKEN: TOKEN, DUCKDNS_INTERVAL_SECONDS: "1", DUCKDNS_RETRY_SECONDS: "1", ...env },
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
  });
  let out = "";
  void (async () => {
    const decoder = new TextDecoder();
    const reader = proc.stderr.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) out += decoder.decode(r.value, { stream: true });
  })();
  cleanups.push(() => proc.kill("SIGKILL"));
  return { proc, log: () => out };
}

/** A fake https://www.duckdns.org/update: answers with `answer(params)` and records each request's query. */
function fakeDuckDns(answer: (q: URLSearchParams) => string, port = 0): { url: string; requests: URLSearchParams[]; server: Server<unknown> } {
  const requests: URLSearchParams[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port,
    fetch(req) {
      const q = new URL(req.url).searchParams;
      requests.push(q);
      return new Response(answer(q), { headers: { "content-type": "text/plain" } });
    },
  });
  cleanups.push(() => server.stop(true));
  return { url: `http://127.0.0.1:${server.port}/update`, requests, server };
}

/** DuckDNS's answer with verbose=true: OK, the address, an empty line, UPDATED or NOCHANGE. */
const ok = (address: string, change: "UPDATED" | "NOCHANGE") => `OK\n${address}\n\n${change}`;

describe.skipIf(!hasTools)("deploy/duckdns.sh", () => {
  test("updates at start and on every interval, naming the address once, and stops on SIGTERM", async () => {
    let calls = 0;
    const duck = fakeDuckDns(() => ok("203.0.113.7", calls++ === 0 ? "UPDATED" : "NOCHANGE"));
    const u = startUpdater({ DUCKDNS_URL: duck.url, TASKFLOW_DOMAIN: "tasks.example.duckdns.org" });
    await waitFor("three updates", () => duck.requests.length >= 3);
    // The name comes from TASKFLOW_DOMAIN; DuckDNS finds the address itself (no ip=).
    expect(Object.fromEntries(duck.requests[0]!)).toEqual({ domains: "example", token: TOKEN, verbose: "true" });
    expect(u.log()).toContain("example.duckdns.org points at 203.0.113.7 (UPDATED); next check in 1s");
    // Quiet while nothing changes.
    expect(u.log().match(/points at/g)).toHaveLength(1);
    u.proc.kill("SIGTERM");
    expect(await u.proc.exited).toBe(0);
    expect(u.log()).not.toContain(TOKEN);
  });

  test("a wrong token: a clear error without the token, and it keeps running", async () => {
    const duck = fakeDuckDns(() => "KO");
    const u = startUpdater({ DUCKDNS_URL: duck.url, DUCKDNS_SUBDOMAIN: "example" });
    await waitFor("two refused updates", () => (duck.requests.length >= 2 && u.log().match(/refused/g)?.length === 2 ? true : null));
    expect(u.log()).toContain("DuckDNS refused to update example.duckdns.org (KO): check DUCKDNS_TOKEN");
    expect(u.log()).not.toContain(TOKEN);
    expect(u.proc.exitCode).toBeNull();
  });

  test("an unreachable endpoint: logged and retried until it answers", async () => {
    const port = freePort();
    const u = startUpdater({ DUCKDNS_URL: `http://127.0.0.1:${port}/update`, DUCKDNS_SUBDOMAIN: "example" });
    await waitFor("two failed tries", () => (u.log().match(/cannot reach DuckDNS/g)?.length ?? 0) >= 2);
    expect(u.log()).toMatch(/cannot reach DuckDNS \(curl: \(7\) [^)]*\); trying again in 1s/);
    expect(u.log()).not.toContain(TOKEN);
    const duck = fakeDuckDns(() => ok("203.0.113.8", "UPDATED"), port);
    await waitFor("the update once the endpoint answers", () => u.log().includes("example.duckdns.org points at 203.0.113.8"));
    expect(duck.requests[0]!.get("domains")).toBe("example");
  });

  test("refuses to start without a token or a name, saying what to set", async () => {
    const noToken = startUpdater({ DUCKDNS_TOKEN: "", TASKFLOW_DOMAIN: "x.duckdns.org" });
    expect(await noToken.proc.exited).toBe(1);
    expect(noToken.log()).toContain("set DUCKDNS_TOKEN in .env");
    // A domain elsewhere gives no DuckDNS name.
    const noName = startUpdater({ TASKFLOW_DOMAIN: "tasks.example.com" });
    expect(await noName.proc.exited).toBe(1);
    expect(noName.log()).toContain("set TASKFLOW_DOMAIN=NAME.duckdns.org (or DUCKDNS_SUBDOMAIN=NAME) in .env");
    const badToken = startUpdater({ DUCKDNS_TOKEN: "abc&domains=other", DUCKDNS_SUBDOMAIN: "x" });
    expect(await badToken.proc.exited).toBe(1);
    expect(badToken.log()).not.toContain("abc&domains=other");
  });
});
