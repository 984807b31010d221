/**
 * Bodies are capped while they are read, before anything else happens: 20
 * parallel chunked (no Content-Length) 50 MB bodies to the sign-in form and the
 * dashboard's form posts each get 413 at once, and the server's memory stays
 * flat. A refused form never echoes more than a prefix of what was sent.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { openSecuredApp, TOKEN } from "./support.ts";
import { freePort, startTaskflow, waitFor, type TaskflowProcess } from "../support/processes.ts";
import { migratedDataDirFlag } from "../support/databases.ts";

const BODY_MB = 50;
const PARALLEL = 20;
const CHUNK = new Uint8Array(64 * 1024).fill(0x61);

let p: TaskflowProcess;
let api: string;
const auth = { authorization: `Bearer ${TOKEN}` };

beforeAll(async () => {
  const http = freePort();
  api = `http://127.0.0.1:${http}`;
  p = startTaskflow(["--role=scheduler,coordinator", await migratedDataDirFlag(), `--http=127.0.0.1:${http}`, `--grpc=127.0.0.1:${freePort()}`], {
    env: { TASKFLOW_TOKEN: TOKEN, TASKFLOW_LOG_LEVEL: "warn" },
  });
  await waitFor("readyz", async () => (await fetch(`${api}/readyz`, { headers: auth })).status === 200, 30_000);
}, 40_000);

afterAll(async () => {
  p.kill();
  await p.exited;
});

/** The server's resident memory in MB. */
function rssMb(): number {
  const status = readFileSync(`/proc/${p.proc.pid}/status`, "utf8");
  return Number(status.match(/VmRSS:\s+(\d+) kB/)![1]) / 1024;
}

/** A form body of `mb` megabytes sent chunked (no Content-Length): `name=aaaa…`. */
function hugeForm(mb: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    start(c) {
      c.enqueue(new TextEncoder().encode("token=x&name="));
    },
    pull(c) {
      if (sent >= mb * 1024 * 1024) return c.close();
      sent += CHUNK.byteLength;
      c.enqueue(CHUNK);
    },
  });
}

/** POSTs a huge chunked form; the status, or 0 when the server cut the upload before answering. */
async function postHuge(path: string, headers: Record<string, string> = {}): Promise<number> {
  try {
    const r = await fetch(`${api}${path}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: hugeForm(BODY_MB),
      // @ts-expect-error Bun: stream the request body (chunked)
      duplex: "half",
    });
    await r.text();
    return r.status;
  } catch {
    return 0;
  }
}

test.each([
  ["/login", {}],
  ["/tasks", auth],
  ["/schedules", auth],
] as const)(`${PARALLEL} parallel chunked ${BODY_MB} MB bodies to POST %s: 413 each, memory flat`, async (path, headers) => {
  const before = rssMb();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb())), 20);
  const started = Date.now();
  const statuses = await Promise.all(Array.from({ length: PARALLEL }, () => postHuge(path, headers)));
  clearInterval(sampler);
  peak = Math.max(peak, rssMb());
  expect(statuses.filter((s) => s === 413)).toHaveLength(PARALLEL);
  expect(peak - before).toBeLessThan(50);
  // Refused at the cap, not after reading 1 GB.
  expect(Date.now() - started).toBeLessThan(20_000);
}, 60_000);

test("a refused dashboard form shows only a prefix of an oversized value", async () => {
  const s = await openSecuredApp([]);
  try {
    const name = "n".repeat(900 * 1024);
    const r = await s.send("POST", "/tasks", {
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ name, command: "true" }).toString(),
    });
    expect(r.status).toBe(422);
    const html = await r.text();
    expect(html).toContain("n".repeat(1000));
    expect(html).not.toContain("n".repeat(1100));
    expect(html.length).toBeLessThan(64 * 1024);
    // The JSON API quotes at most a prefix of an unknown field's name.
    const api = await s.send("POST", "/api/tasks", { headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "x", command: "true", ["k".repeat(500_000)]: 1 }) });
    expect(api.status).toBe(422);
    expect((await api.text()).length).toBeLessThan(1000);
  } finally {
    await s.close();
  }
});
