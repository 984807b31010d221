import { expect, test } from "bun:test";
import { freePort, startTaskflow, waitReady } from "../support/processes.ts";

test("--role=all on memory:// answers /healthz and /readyz, then SIGTERM exits 0", async () => {
  const http = freePort();
  const p = startTaskflow(["--role=all", "--data-dir=memory://", `--http=127.0.0.1:${http}`, `--grpc=127.0.0.1:${freePort()}`]);
  try {
    await waitReady(`http://127.0.0.1:${http}`, p);
    const health = await fetch(`http://127.0.0.1:${http}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    p.kill("SIGTERM");
    expect(await p.exited).toBe(0);
    expect(p.output()).toContain("stopped");
  } finally {
    p.kill("SIGKILL");
  }
});

test("SIGINT exits 0 too, and bad flags exit 2 with one line", async () => {
  const bad = startTaskflow(["--role=banana"]);
  expect(await bad.exited).toBe(2);
  expect(bad.output().trim().split("\n")).toEqual([expect.stringContaining('--role: unknown role "banana"')]);

  const http = freePort();
  const p = startTaskflow(["--role=all", "--data-dir=memory://", `--http=127.0.0.1:${http}`, `--grpc=127.0.0.1:${freePort()}`]);
  try {
    await waitReady(`http://127.0.0.1:${http}`, p);
    p.kill("SIGINT");
    expect(await p.exited).toBe(0);
  } finally {
    p.kill("SIGKILL");
  }
});

test("a port already in use fails with one clear line and exit 1", async () => {
  const busy = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  try {
    const p = startTaskflow(["--role=all", "--data-dir=memory://", `--http=127.0.0.1:${busy.port}`, `--grpc=127.0.0.1:${freePort()}`]);
    expect(await p.exited).toBe(1);
    expect(p.output()).toContain(`cannot listen on --http 127.0.0.1:${busy.port}`);
    expect(p.output()).not.toMatch(/\n\s+at /);
  } finally {
    busy.stop(true);
  }
});
