/**
 * The Host header against a real process with no token: DNS rebinding (only
 * `localhost` and loopback IP literals pass, parsed as addresses), malformed
 * Hosts and URLs get 400 JSON without a stack trace, and a bind name is judged
 * by what it resolves to.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { checkBindNames } from "../../src/config/bind-check.ts";
import { parseConfig } from "../../src/config/config.ts";
import { freePort, startTaskflow, waitReady, type TaskflowProcess } from "../support/processes.ts";
import { openSecuredApp, rawRequest, type SecuredApp } from "./support.ts";
import { migratedDataDirFlag } from "../support/databases.ts";

/** Names a rebinding page could have the browser send: all refused. */
const REFUSED = [
  "127.0.0.1.attacker.example",
  "127.0.0.1.attacker.example:PORT",
  "127.evil.example",
  "127.1.attacker.example",
  "localhost.evil.example",
  "localhost.localdomain.evil.example",
  "evil-localhost",
  "0x7f.0.0.1",
  "127.0.0.1.",
  "[::ffff:10.0.0.1]:PORT",
  "[::2]",
  "10.0.0.1:PORT",
];
/** Loopback, by name or as an address: all served. */
const ACCEPTED = ["localhost", "LocalHost:PORT", "localhost.", "127.0.0.1:PORT", "127.9.8.7", "[::1]:PORT", "[0:0:0:0:0:0:0:1]", "[::ffff:127.0.0.1]:PORT"];
/** Not host[:port] at all: 400. */
const MALFORMED = ["a b", "x:99999", "[::1", "127.0.0.1@evil.example", "localhost:0", "127.0.0.1:80:80", "[zz::1]", "evil.example/path", ""];

describe("an open taskflow (no token) in-process: the Host table", () => {
  let s: SecuredApp;
  beforeAll(async () => {
    s = await openSecuredApp([]);
  });
  afterAll(() => s.close());

  test.each(REFUSED)("Host %s is refused with 421", async (host) => {
    const r = await s.send("GET", "/api/tasks", { headers: { host: host.replace("PORT", "8080") } });
    expect(r.status).toBe(421);
    expect((await r.json()).error).toBe("misdirected_request");
  });

  test.each(ACCEPTED)("Host %s is served", async (host) => {
    expect((await s.send("GET", "/api/tasks", { headers: { host: host.replace("PORT", "8080") } })).status).toBe(200);
  });
});

describe("a real process without a token", () => {
  let p: TaskflowProcess;
  let port: number;
  beforeAll(async () => {
    port = freePort();
    p = startTaskflow(["--role=all", await migratedDataDirFlag(), `--http=127.0.0.1:${port}`, `--grpc=127.0.0.1:${freePort()}`]);
    await waitReady(`http://127.0.0.1:${port}`, p, 30_000);
  }, 40_000);
  afterAll(async () => {
    p.kill();
    await p.exited;
  });

  test("the rebinding attack of the report: 421, and no task is created", async () => {
    const attack = await rawRequest(port, `127.0.0.1.attacker.example:${port}`, "/api/tasks", "POST", JSON.stringify({ name: "x", command: "touch /tmp/pwned" }));
    expect(attack.status).toBe(421);
    const list = await rawRequest(port, `127.0.0.1.attacker.example:${port}`, "/api/tasks");
    expect(list.status).toBe(421);
    expect(list.body).not.toContain("tasks");
    const mine = await fetch(`http://127.0.0.1:${port}/api/tasks`);
    expect((await mine.json()).tasks).toEqual([]);
  });

  test.each(MALFORMED)("a malformed Host %p gets 400 JSON without a stack trace", async (host) => {
    for (const path of ["/api/tasks", "/", "/login", "/healthz", "/no/such/route"]) {
      const r = await rawRequest(port, host, path);
      expect({ host, path, status: r.status }).toEqual({ host, path, status: 400 });
      expect(r.head.toLowerCase()).toContain("content-type: application/json");
      expect(JSON.parse(r.body)).toEqual({ error: "bad_request", message: expect.any(String), details: [] });
      expect(r.body).not.toMatch(/ at |\.ts|node_modules|\/work\//);
    }
  });

  test("a login redirect to a non-ASCII path falls back to / instead of a 500", async () => {
    const r = await rawRequest(port, `127.0.0.1:${port}`, "/login?next=%2F%C4%80");
    expect(r.status).toBe(303);
    expect(r.head).toMatch(/\r\nlocation: \/\r\n/i);
  });
});

describe("the bind check judges what a name resolves to", () => {
  const config = (flags: string[]) => parseConfig(["--role=all", ...flags], {}).config;

  test("a name resolving to 0.0.0.0 (or to any non-loopback address) is refused without a token", async () => {
    const wild = async () => ["0.0.0.0"];
    await expect(checkBindNames(config(["--http=127.wild.example:8080"]), wild)).rejects.toThrow(
      /--http=127\.wild\.example:8080 is not a loopback address \(resolves to 0\.0\.0\.0\): set --token/,
    );
    await expect(checkBindNames(config(["--grpc=localhost:7000"]), async () => ["127.0.0.1", "10.1.2.3"])).rejects.toThrow(/--grpc=localhost:7000 .*resolves to 10\.1\.2\.3/);
    await expect(checkBindNames(config(["--http=127.wild.example:8080", "--insecure"]), wild)).resolves.toBeUndefined();
    await expect(checkBindNames(config(["--http=127.wild.example:8080", "--token=0123456789abcdef0123"]), wild)).resolves.toBeUndefined();
  });

  test("a name resolving only to loopback addresses is accepted", async () => {
    await expect(checkBindNames(config(["--http=localhost:8080"]), async () => ["127.0.0.1", "::1"])).resolves.toBeUndefined();
  });

  test("the real binary: an unresolvable or non-loopback bind name exits 2 with one line", async () => {
    const p = startTaskflow(["--role=all", "--data-dir=memory://", `--http=127.wild.invalid:${freePort()}`]);
    expect(await p.exited).toBe(2);
    const lines = p.output().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/--http=127\.wild\.invalid:\d+ is not a loopback address \(unresolvable.*\): set --token/);
  });
});
