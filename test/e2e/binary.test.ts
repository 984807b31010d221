/**
 * The compiled binary runs from an empty folder: migrations, the proto, views'
 * assets and PGlite's files are all inside it.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtBinary } from "../support/build-binary.ts";
import { freePort, waitFor, waitReady } from "../support/processes.ts";

let bin: string;
let workDir: string;
let buildDir: string | null = null;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), "taskflow-bin-"));
  if (process.env.TASKFLOW_BIN) {
    bin = process.env.TASKFLOW_BIN;
    return;
  }
  buildDir = mkdtempSync(join(tmpdir(), "taskflow-build-"));
  bin = builtBinary(join(buildDir, "taskflow"));
}, 120_000);

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
  if (buildDir) rmSync(buildDir, { recursive: true, force: true });
});

function run(args: string[]) {
  return Bun.spawnSync([bin, ...args], { cwd: workDir, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
}

test("version and bad flags", () => {
  const v = run(["version"]);
  expect(v.exitCode).toBe(0);
  expect(v.stdout.toString()).toMatch(/^taskflow \d+\.\d+\.\d+\n$/);
  for (const alias of ["--version", "-v"]) expect(run([alias]).stdout.toString()).toBe(v.stdout.toString());
  expect(run(["-h"]).stdout.toString()).toBe(run(["--help"]).stdout.toString());
  const bad = run(["--role=banana"]);
  expect(bad.exitCode).toBe(2);
  expect(bad.stderr.toString().trim().split("\n")).toHaveLength(1);
  const help = run(["--help"]);
  expect(help.stdout.toString()).toContain("TASKFLOW_WORKER_TIMEOUT_MS");
});

test("migrate, then --role=all serves /readyz from an empty folder, on a new and an existing data dir", async () => {
  expect(readdirSync(workDir)).toEqual([]);
  const migrate = run(["migrate", "--data-dir=./data"]);
  expect(migrate.exitCode).toBe(0);
  for (const round of ["new", "existing"]) {
    const dataDir = round === "new" ? "./fresh" : "./data";
    const http = freePort();
    const p = Bun.spawn([bin, "--role=all", `--data-dir=${dataDir}`, `--http=127.0.0.1:${http}`, `--grpc=127.0.0.1:${freePort()}`], {
      cwd: workDir,
      // Debug on a first start: the line that says the folder came from the binary's template.
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", TASKFLOW_LOG_FORMAT: "json", TASKFLOW_LOG_LEVEL: round === "new" ? "debug" : "info" },
      stdout: "ignore",
      stderr: "pipe",
    });
    try {
      await waitReady(`http://127.0.0.1:${http}`, undefined, 60_000);
      p.kill("SIGTERM");
      expect(await p.exited).toBe(0);
    } finally {
      p.kill("SIGKILL");
    }
    // The first line says what the wait is for, before the database is ready.
    const messages = (await new Response(p.stderr).text()).trim().split("\n").map((l) => (JSON.parse(l) as { message: string }).message);
    expect(messages[0]).toBe(
      round === "new" ? `initialising the embedded database in ${dataDir} (first start, a few seconds)…` : `opening the embedded database in ${dataDir}…`,
    );
    const ready = messages.findIndex((m) => m.startsWith("database ready"));
    expect(ready).toBeGreaterThan(0);
    expect(messages.slice(1, ready)).toEqual(round === "new" ? [`set up ${dataDir} from the database template in the binary`] : []);
  }
  expect(readdirSync(workDir).sort()).toEqual(["data", "fresh"]);
});

test("the client CLI runs from an empty folder: run prints both streams and exits with the command's code", async () => {
  const cliDir = mkdtempSync(join(tmpdir(), "taskflow-cli-"));
  const http = freePort();
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", TASKFLOW_URL: `http://127.0.0.1:${http}` };
  const server = Bun.spawn([bin, "--role=all", "--data-dir=memory://", `--http=127.0.0.1:${http}`, `--grpc=127.0.0.1:${freePort()}`], {
    cwd: workDir,
    env: { ...env, TASKFLOW_LOG_FORMAT: "json" },
    stdout: "ignore",
    stderr: "ignore",
  });
  try {
    await waitReady(env.TASKFLOW_URL, undefined, 60_000);
    const started = performance.now();
    const help = Bun.spawnSync([bin, "ls", "--help"], { cwd: cliDir, env });
    expect(help.exitCode).toBe(0);
    expect(help.stdout.toString()).toContain("--watch");
    const run = Bun.spawnSync([bin, "run", "--", "sh", "-c", "echo out; echo err >&2; exit 7"], { cwd: cliDir, env });
    expect({ code: run.exitCode, out: run.stdout.toString(), err: run.stderr.toString() }).toEqual({ code: 7, out: "out\n", err: "err\n" });
    const ls = Bun.spawnSync([bin, "ls", "--json"], { cwd: cliDir, env });
    expect(JSON.parse(ls.stdout.toString()).tasks).toHaveLength(1);
    const completion = Bun.spawnSync([bin, "completion", "bash"], { cwd: cliDir, env });
    expect(Bun.spawnSync(["bash", "-n", "-c", completion.stdout.toString()]).exitCode).toBe(0);
    expect(performance.now() - started).toBeLessThan(30_000);
    expect(readdirSync(cliDir)).toEqual([]);
  } finally {
    server.kill("SIGKILL");
    rmSync(cliDir, { recursive: true, force: true });
  }
}, 120_000);

test("live output from the binary: a task's log, the output search (pg_trgm inside the binary) and the live-log script", async () => {
  const http = freePort();
  const base = `http://127.0.0.1:${http}`;
  const p = Bun.spawn([bin, "--role=all", "--data-dir=memory://", `--http=127.0.0.1:${http}`, `--grpc=127.0.0.1:${freePort()}`], {
    cwd: workDir,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", TASKFLOW_LOG_FORMAT: "json" },
    stdout: "ignore",
    stderr: "ignore",
  });
  try {
    await waitReady(base, undefined, 60_000);
    const post = await fetch(`${base}/api/tasks`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "b", command: "echo binary-output-word >&2" }) });
    const { id } = (await post.json()) as { id: string };
    const log = await waitFor("the log", async () => {
      const r = await fetch(`${base}/api/tasks/${id}/log?format=json`);
      const body = (await r.json()) as { complete?: boolean; text?: string };
      return body.complete ? body : null;
    });
    expect(log.text).toBe("binary-output-word\n");
    const found = (await (await fetch(`${base}/api/tasks?output=binary-output`)).json()) as { tasks: { id: string }[] };
    expect(found.tasks.map((t) => t.id)).toEqual([id]);
    const page = await (await fetch(`${base}/tasks/${id}`)).text();
    const script = /src="(\/assets\/live-log-[^"]+)"/.exec(page)?.[1];
    expect((await fetch(`${base}${script}`)).status).toBe(200);
  } finally {
    p.kill("SIGKILL");
    await p.exited;
  }
}, 60_000);
