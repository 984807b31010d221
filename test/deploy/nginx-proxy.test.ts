/**
 * nginx with taskflow's site (deploy/nginx), run for real in front of a small stand-in
 * upstream whose answers we control: event streams pass unbuffered and uncompressed,
 * HTML and JSON are compressed, the security headers are there, and the TLS site
 * redirects, serves the ACME challenge and switches on by itself when certbot's
 * certificate appears. The real scheduler behind nginx: test/e2e/topology.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "../support/processes.ts";
import { findProgram, systemToolAvailable } from "../support/system-tools.ts";
import { checkSite, startLocalNginx, type LocalNginx } from "./local-nginx.ts";

const hasNginx = systemToolAvailable("nginx", findProgram("nginx", ["/usr/sbin/nginx"]) !== null, "apt-get install -y nginx");

const DOMAIN = "taskflow.test";
const BIG_HTML = `<!doctype html><title>x</title>${"<p>taskflow dashboard</p>".repeat(200)}`;
const BIG_JSON = JSON.stringify({ tasks: Array.from({ length: 100 }, (_, i) => ({ id: i, name: `task-${i}`, status: "completed" })) });

/** The stand-in scheduler. /events sends one event, then holds the stream open for 5 s. */
let upstream: ReturnType<typeof Bun.serve>;
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "taskflow-nginx-test-"));
  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    fetch(req) {
      const url = new URL(req.url);
      switch (url.pathname) {
        case "/healthz":
          return Response.json({ status: "ok" });
        case "/page":
          return new Response(BIG_HTML, { headers: { "content-type": "text/html; charset=utf-8" } });
        case "/own-csp":
          return new Response(BIG_HTML, { headers: { "content-type": "text/html", "content-security-policy": "default-src 'none'" } });
        case "/tasks.json":
          return Response.json(JSON.parse(BIG_JSON));
        case "/echo": {
          const headers: Record<string, string> = {};
          req.headers.forEach((value, key) => (headers[key] = value));
          return Response.json({ method: req.method, headers, bytes: Number(req.headers.get("content-length") ?? 0) });
        }
        case "/too-big":
          return Response.json({ error: "payload_too_large", message: "over 1 MiB", details: [] }, { status: 413 });
        case "/events": {
          const body = new ReadableStream({
            async start(controller) {
              // Small, as events are: nginx holds back output under 1460 bytes unless it flushes.
              controller.enqueue(new TextEncoder().encode('event: task\ndata: {"id":"first"}\n\n'));
              await Bun.sleep(5000);
              controller.close();
            },
          });
          return new Response(body, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } });
        }
        default:
          return Response.json({ error: "not_found" }, { status: 404 });
      }
    },
  });
});

afterAll(() => {
  upstream?.stop(true);
  rmSync(work, { recursive: true, force: true });
});

const upstreamAddress = () => `127.0.0.1:${upstream.port}`;

/** A self-signed certificate laid out as certbot does (live/ links into archive/). */
function issueCertificate(letsencryptDir: string): void {
  const archive = join(letsencryptDir, "archive", DOMAIN);
  const live = join(letsencryptDir, "live", DOMAIN);
  mkdirSync(archive, { recursive: true });
  mkdirSync(live, { recursive: true });
  const r = Bun.spawnSync([
    "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${DOMAIN}`,
    "-addext", `subjectAltName=DNS:${DOMAIN}`, "-keyout", join(archive, "privkey1.pem"), "-out", join(archive, "fullchain1.pem"),
  ]);
  if (r.exitCode !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  symlinkSync(`../../archive/${DOMAIN}/fullchain1.pem`, join(live, "fullchain.pem"));
  symlinkSync(`../../archive/${DOMAIN}/privkey1.pem`, join(live, "privkey.pem"));
}

function expectSecurityHeaders(r: Response): void {
  expect(r.headers.get("x-content-type-options")).toBe("nosniff");
  expect(r.headers.get("x-frame-options")).toBe("DENY");
  expect(r.headers.get("referrer-policy")).toBe("same-origin");
  const csp = r.headers.get("content-security-policy") ?? "";
  for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "object-src 'none'"]) {
    expect(csp).toContain(directive);
  }
  expect(csp).not.toContain("unsafe");
}

describe.skipIf(!hasNginx)("nginx -t accepts every site the script can write", () => {
  test("plain HTTP, waiting for a certificate, and HTTPS", () => {
    const letsencryptDir = join(work, "le-check");
    for (const [name, domain] of [["http", ""], ["acme", DOMAIN]] as const) {
      const r = checkSite({ upstream: "scheduler:8080", domain, letsencryptDir });
      expect({ name, ok: r.ok, output: r.output }).toEqual({ name, ok: true, output: expect.stringContaining("test is successful") });
    }
    issueCertificate(letsencryptDir);
    const https = checkSite({ upstream: "scheduler:8080", domain: DOMAIN, letsencryptDir });
    expect(https.output).toContain("test is successful");
    expect(https.site).toContain(`server_name ${DOMAIN};`);
    expect(https.site).toContain("proxy.conf");
    // Upstream by name, resolved while running (Docker's DNS in compose).
    expect(https.site).toContain("set $taskflow_upstream http://scheduler:8080;");
  });

  test("values that would inject nginx syntax are refused", () => {
    const r = Bun.spawnSync(["sh", join(import.meta.dir, "../../deploy/nginx/40-taskflow-site.sh"), "render"], {
      env: { PATH: process.env.PATH ?? "", TASKFLOW_DOMAIN: "x; include /etc/passwd", NGINX_SITE: join(work, "never.conf") },
    });
    expect(r.exitCode).toBe(1);
    expect(r.stderr.toString()).toContain("is not a DNS name");
  });
});

describe.skipIf(!hasNginx)("plain HTTP site", () => {
  let nginx: LocalNginx;
  let base: string;
  beforeAll(async () => {
    nginx = await startLocalNginx({ upstream: upstreamAddress() });
    base = `http://127.0.0.1:${nginx.httpPort}`;
  });
  afterAll(() => nginx?.stop());

  test("proxies with the security headers and no HSTS over plain HTTP", async () => {
    const r = await fetch(`${base}/healthz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: "ok" });
    expectSecurityHeaders(r);
    expect(r.headers.get("strict-transport-security")).toBeNull();
  });

  test("an event stream arrives as it is written: unbuffered and uncompressed", async () => {
    const started = Date.now();
    const r = await fetch(`${base}/events`, { headers: { accept: "text/event-stream", "accept-encoding": "gzip" }, decompress: false });
    expect(r.headers.get("content-type")).toStartWith("text/event-stream");
    expect(r.headers.get("content-encoding")).toBeNull();
    const reader = r.body!.getReader();
    const first = await reader.read();
    // The upstream holds the stream open for 5 s after the first event: it only
    // arrives this early if nginx passes it on at once.
    expect(Date.now() - started).toBeLessThan(2500);
    expect(new TextDecoder().decode(first.value)).toContain('event: task\ndata: {"id":"first"');
    await reader.cancel();
  });

  test("HTML and JSON are gzip-compressed", async () => {
    for (const path of ["/page", "/tasks.json"]) {
      const r = await fetch(`${base}${path}`, { headers: { "accept-encoding": "gzip" }, decompress: false });
      expect({ path, encoding: r.headers.get("content-encoding") }).toEqual({ path, encoding: "gzip" });
      expect(r.headers.get("vary")).toContain("Accept-Encoding");
      const body = Buffer.from(await r.arrayBuffer());
      expect(Bun.gunzipSync(body).length).toBeGreaterThan(body.length);
    }
  });

  test("taskflow's own Content-Security-Policy wins over nginx's, never both", async () => {
    const r = await fetch(`${base}/own-csp`);
    expect(r.headers.get("content-security-policy")).toBe("default-src 'none'");
  });

  test("forwarding headers and the bearer token reach taskflow", async () => {
    const r = await fetch(`${base}/echo`, { headers: { authorization: "Bearer s3cret", host: "tasks.example.com" } });
    const { headers } = (await r.json()) as { headers: Record<string, string> };
    expect(headers.authorization).toBe("Bearer s3cret");
    expect(headers.host).toBe("tasks.example.com");
    expect(headers["x-forwarded-proto"]).toBe("http");
    expect(headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(headers["x-real-ip"]).toBe("127.0.0.1");
  });

  test("a body over 1 MiB reaches taskflow, which answers its own JSON 413", async () => {
    const big = await fetch(`${base}/echo`, { method: "POST", body: "x".repeat(1536 * 1024) });
    expect(big.status).toBe(200);
    expect(((await big.json()) as { bytes: number }).bytes).toBe(1536 * 1024);
    const refused = await fetch(`${base}/too-big`, { method: "POST", body: "x".repeat(1536 * 1024) });
    expect(refused.status).toBe(413);
    expect(((await refused.json()) as { error: string }).error).toBe("payload_too_large");
  });

  test("the ACME challenge path is served from the webroot", async () => {
    mkdirSync(join(nginx.dir, "acme/.well-known/acme-challenge"), { recursive: true });
    writeFileSync(join(nginx.dir, "acme/.well-known/acme-challenge/tok-1"), "tok-1.key");
    const r = await fetch(`${base}/.well-known/acme-challenge/tok-1`);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe("tok-1.key");
  });
});

describe.skipIf(!hasNginx)("TLS site (compose profile tls)", () => {
  let nginx: LocalNginx;
  let letsencryptDir: string;
  beforeAll(async () => {
    letsencryptDir = join(work, "le-live");
    mkdirSync(letsencryptDir);
    // Starts before certbot has a certificate, watching for it every second.
    nginx = await startLocalNginx({ upstream: upstreamAddress(), domain: DOMAIN, letsencryptDir, watchSeconds: 1 });
  });
  afterAll(() => nginx?.stop());

  test("without a certificate yet: only the ACME challenge, 503 elsewhere (no token over plain HTTP)", async () => {
    mkdirSync(join(nginx.dir, "acme/.well-known/acme-challenge"), { recursive: true });
    writeFileSync(join(nginx.dir, "acme/.well-known/acme-challenge/tok-2"), "tok-2.key");
    const challenge = await fetch(`http://127.0.0.1:${nginx.httpPort}/.well-known/acme-challenge/tok-2`);
    expect(await challenge.text()).toBe("tok-2.key");
    const r = await fetch(`http://127.0.0.1:${nginx.httpPort}/healthz`);
    expect(r.status).toBe(503);
    expect(await r.text()).toContain(`waiting for the TLS certificate of ${DOMAIN}`);
  });

  test("when the certificate appears, nginx switches to HTTPS by itself", async () => {
    issueCertificate(letsencryptDir);
    const https = `https://127.0.0.1:${nginx.httpsPort}`;
    const r = await waitFor(
      `HTTPS on ${nginx.httpsPort}; nginx output:\n${nginx.output()}`,
      () => fetch(`${https}/healthz`, { headers: { host: DOMAIN }, tls: { rejectUnauthorized: false } }),
      10_000,
      200,
    );
    expect(r.status).toBe(200);
    expectSecurityHeaders(r);
    expect(r.headers.get("strict-transport-security")).toBe("max-age=31536000; includeSubDomains");
    expect(nginx.output()).toContain("reloaded nginx (https)");
    // Workers of the old configuration may still take a connection or two while they wind down.
    await waitFor("plain HTTP to redirect", async () => (await fetch(`http://127.0.0.1:${nginx.httpPort}/`, { redirect: "manual" })).status === 301, 5000, 100);
  });

  test("plain HTTP redirects to HTTPS but still serves the ACME challenge for renewals", async () => {
    const r = await fetch(`http://127.0.0.1:${nginx.httpPort}/tasks?status=failed`, { redirect: "manual" });
    expect(r.status).toBe(301);
    expect(r.headers.get("location")).toBe(`https://${DOMAIN}:${nginx.httpsPort}/tasks?status=failed`);
    const challenge = await fetch(`http://127.0.0.1:${nginx.httpPort}/.well-known/acme-challenge/tok-2`, { redirect: "manual" });
    expect(challenge.status).toBe(200);
  });

  test("HTTPS speaks HTTP/2 (browsers then keep many event streams on one connection)", async () => {
    // Not spawnSync: the stand-in upstream lives in this process and must keep answering.
    const curl = Bun.spawn([
      "curl", "-sk", "--http2", "--max-time", "5", "-o", "/dev/null", "-w", "%{http_version}",
      "--resolve", `${DOMAIN}:${nginx.httpsPort}:127.0.0.1`, `https://${DOMAIN}:${nginx.httpsPort}/healthz`,
    ]);
    expect(await new Response(curl.stdout).text()).toBe("2");
  });

  test("HTTPS event streams pass unbuffered too", async () => {
    const started = Date.now();
    const r = await fetch(`https://127.0.0.1:${nginx.httpsPort}/events`, {
      headers: { host: DOMAIN, "accept-encoding": "gzip" },
      tls: { rejectUnauthorized: false },
      decompress: false,
    });
    expect(r.headers.get("content-encoding")).toBeNull();
    const reader = r.body!.getReader();
    const first = await reader.read();
    expect(Date.now() - started).toBeLessThan(2500);
    expect(new TextDecoder().decode(first.value)).toContain("event: task");
    await reader.cancel();
  });
});
