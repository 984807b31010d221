/**
 * The compiled binary runs from an empty folder: migrations, the proto, views'
 * assets and PGlite's files are all inside it.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBinary } from "../support/build-binary.ts";
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
  bin = join(buildDir, "taskflow");
  buildBinary(bin);
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
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", TASKFLOW_LOG_FORMAT: "json" },
      stdout: "ignore",
      stderr: "pipe",
    });
    try {
      await waitReady(`http://127.0.0.1:${http}`, undefined, 20_000);
      p.kill("SIGTERM");
      expect(await p.exited).toBe(0);
    } finally {
      p.kill("SIGKILL");
    }
  }
  expect(readdirSync(workDir).sort()).toEqual(["data", "fresh"]);
});

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
    await waitReady(base, undefined, 20_000);
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
