/**
 * gRPC security between real processes: a worker with a wrong token is refused
 * at the stream's start and both ends say so (without printing the token); TLS
 * and mutual TLS with certificates made by openssl here, the way docs/security.md
 * tells operators to; a plaintext worker against a TLS coordinator, and a worker
 * without a client certificate against mutual TLS, never join.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPostgresDatabase, migratedDataDirFlag, TEST_DATABASE_URL } from "../support/databases.ts";
import { freePort, startTaskflow, waitFor, waitReady, type TaskflowProcess } from "../support/processes.ts";

const TOKEN = `grpc-${crypto.randomUUID()}`;
const started: TaskflowProcess[] = [];
const drops: (() => Promise<void>)[] = [];
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "taskflow-grpc-sec-"));
  makeCertificates(dir);
});

afterAll(async () => {
  for (const p of started) p.kill("SIGKILL");
  await Promise.all(started.map((p) => p.exited));
  for (const drop of drops) await drop();
  rmSync(dir, { recursive: true, force: true });
});

/** A CA, a server certificate for the name "localhost", and a client certificate, as docs/security.md shows. */
function makeCertificates(cwd: string): void {
  const run = (...args: string[]) => {
    const r = Bun.spawnSync(["openssl", ...args], { cwd, stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr.toString()}`);
  };
  run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=taskflow test CA");
  writeFileSync(join(cwd, "server.ext"), "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n");
  writeFileSync(join(cwd, "client.ext"), "extendedKeyUsage=clientAuth\n");
  for (const name of ["server", "client"]) {
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=taskflow ${name}`);
    run("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-out", `${name}.crt`, "-extfile", `${name}.ext`);
  }
}

interface Coordinator {
  api: string;
  grpcPort: number;
  proc: TaskflowProcess;
}

/** A scheduler + coordinator process (on a fresh PostgreSQL database when there is one, else embedded) with extra flags. */
async function startCoordinator(flags: string[]): Promise<Coordinator> {
  const http = freePort();
  const grpcPort = freePort();
  let database: string;
  if (TEST_DATABASE_URL) {
    const created = await createPostgresDatabase();
    drops.push(created.drop);
    database = `--database-url=${created.url}`;
  } else {
    database = await migratedDataDirFlag();
  }
  const proc = startTaskflow(["--role=scheduler,coordinator", database, `--http=127.0.0.1:${http}`, `--grpc=127.0.0.1:${grpcPort}`, ...flags]);
  started.push(proc);
  const api = `http://127.0.0.1:${http}`;
  if (!flags.some((f) => f.startsWith("--token"))) await waitReady(api, proc);
  return { api, grpcPort, proc };
}

/** A worker process; its token, if any, comes by env (a worker refuses one on its command line). */
function startWorker(name: string, flags: string[], token?: string): TaskflowProcess {
  const w = startTaskflow(["--role=worker", `--name=${name}`, "--heartbeat=200", "--concurrency=1", ...flags], { env: { TASKFLOW_TOKEN: token } });
  started.push(w);
  return w;
}

async function aliveWorkers(c: Coordinator, headers: Record<string, string> = {}): Promise<string[]> {
  const r = await fetch(`${c.api}/api/workers`, { headers });
  if (r.status !== 200) return [];
  return ((await r.json()).workers as { name: string; status: string }[]).filter((w) => w.status === "alive").map((w) => w.name);
}

/** Gives a refused worker time to try (and retry) before checking it never joined. */
const REFUSAL_WINDOW_MS = 2500;

describe("token", () => {
  test("a wrong token is refused at the stream's start and logged on both ends; the right one joins", async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const c = await startCoordinator([`--token=${TOKEN}`]);
    await waitFor("readyz", async () => (await fetch(`${c.api}/readyz`, { headers: auth })).status === 200, 30_000);
    const wrong = startWorker("wrong-token", [`--coordinator=127.0.0.1:${c.grpcPort}`], "not-the-grpc-token");
    const none = startWorker("no-token", [`--coordinator=127.0.0.1:${c.grpcPort}`]);
    // Refusals are logged sampled: one line per address per minute, with the count.
    await waitFor("the refusal in the coordinator's log", () => /\d+ failed gRPC authentication\(s\) from 127\.0\.0\.1 in the last minute/.test(c.proc.output()));
    await waitFor("the worker to report the refusal", () => wrong.output().includes("refused this worker's token"));
    await Bun.sleep(REFUSAL_WINDOW_MS);
    expect(await aliveWorkers(c, auth)).toEqual([]);
    const right = startWorker("right-token", [`--coordinator=127.0.0.1:${c.grpcPort}`], TOKEN);
    await waitFor("the right worker to join", async () => (await aliveWorkers(c, auth)).includes("right-token"));
    expect(await aliveWorkers(c, auth)).toEqual(["right-token"]);
    for (const p of [wrong, none, right]) p.kill("SIGKILL");
    expect(c.proc.output()).not.toContain("not-the-grpc-token");
    expect(c.proc.output()).not.toContain(TOKEN);
    expect(none.output()).toContain("refused this worker's token");
  }, 60_000);
});

describe("TLS", () => {
  test("a worker that verifies the server joins and runs a task; a plaintext worker never joins", async () => {
    const c = await startCoordinator([`--grpc-tls-cert=${join(dir, "server.crt")}`, `--grpc-tls-key=${join(dir, "server.key")}`]);
    expect(c.proc.output()).toContain("(TLS)");
    const plain = startWorker("plaintext", [`--coordinator=localhost:${c.grpcPort}`]);
    const tls = startWorker("tls", [`--coordinator=localhost:${c.grpcPort}`, `--grpc-tls-ca=${join(dir, "ca.crt")}`]);
    await waitFor("the TLS worker to join", async () => (await aliveWorkers(c)).includes("tls"));
    const submitted = await fetch(`${c.api}/api/tasks`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "over tls", command: "true" }) });
    const { id } = await submitted.json();
    await waitFor("the task to complete over TLS", async () => (await (await fetch(`${c.api}/api/tasks/${id}`)).json()).status === "completed");
    await Bun.sleep(REFUSAL_WINDOW_MS);
    expect(await aliveWorkers(c)).toEqual(["tls"]);
    expect(plain.output()).toContain("cannot reach coordinator");
    // A worker that does not trust the coordinator's CA refuses it too.
    const untrusting = startWorker("untrusting", [`--coordinator=localhost:${c.grpcPort}`, `--grpc-tls-ca=${join(dir, "client.crt")}`]);
    await Bun.sleep(REFUSAL_WINDOW_MS);
    expect(await aliveWorkers(c)).toEqual(["tls"]);
    for (const p of [plain, tls, untrusting]) p.kill("SIGKILL");
  }, 60_000);

  test("TLS to an IP address fails at once with one clear line (the certificate names a host)", async () => {
    const w = startTaskflow(["--role=worker", "--coordinator=127.0.0.1:1", `--grpc-tls-ca=${join(dir, "ca.crt")}`]);
    started.push(w);
    expect(await w.exited).not.toBe(0);
    expect(w.output()).toMatch(/needs a host name in the coordinator address, not the IP address 127\.0\.0\.1/);
  }, 30_000);

  test("mutual TLS: a worker with a CA-signed client certificate joins; one without is refused", async () => {
    const c = await startCoordinator([
      `--grpc-tls-cert=${join(dir, "server.crt")}`,
      `--grpc-tls-key=${join(dir, "server.key")}`,
      `--grpc-tls-ca=${join(dir, "ca.crt")}`,
    ]);
    expect(c.proc.output()).toContain("(mutual TLS)");
    const anonymous = startWorker("anonymous", [`--coordinator=localhost:${c.grpcPort}`, `--grpc-tls-ca=${join(dir, "ca.crt")}`]);
    const plain = startWorker("plaintext", [`--coordinator=localhost:${c.grpcPort}`]);
    const mutual = startWorker("mutual", [
      `--coordinator=localhost:${c.grpcPort}`,
      `--grpc-tls-ca=${join(dir, "ca.crt")}`,
      `--grpc-tls-cert=${join(dir, "client.crt")}`,
      `--grpc-tls-key=${join(dir, "client.key")}`,
    ]);
    await waitFor("the mutual-TLS worker to join", async () => (await aliveWorkers(c)).includes("mutual"));
    await Bun.sleep(REFUSAL_WINDOW_MS);
    expect(await aliveWorkers(c)).toEqual(["mutual"]);
    expect(anonymous.output()).toContain("cannot reach coordinator");
    for (const p of [anonymous, plain, mutual]) p.kill("SIGKILL");
  }, 60_000);
});
