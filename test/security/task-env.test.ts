/**
 * A task must not see the worker's secrets: with the token given by env or by
 * --token-file, a task that prints its environment and its worker's command line
 * shows neither the token nor the database password, and that output is what
 * the API stores and shows. A worker refuses the token on its command line,
 * which every task can read. --task-env-passthrough brings named variables back.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { taskBaseEnv } from "../../src/worker/task-env.ts";
import { freePort, startTaskflow, waitFor, waitReady, type TaskflowProcess } from "../support/processes.ts";
import { migratedDataDirFlag } from "../support/databases.ts";

const TOKEN = `env-${crypto.randomUUID()}`;
const DB_PASSWORD = `pw-${crypto.randomUUID()}`;
/** What a worker host may well have in its environment. */
const WORKER_ENV = {
  DATABASE_URL: `postgres://taskflow:${DB_PASSWORD}@db.internal:5432/taskflow`,
  PGPASSWORD: DB_PASSWORD,
  PGHOST: "db.internal",
  HARMLESS_SETTING: "kept",
};
/** Prints what a curious task could print: its environment and its parent's (the worker's) command line. */
const SNOOP = `env; echo; tr '\\0' ' ' < /proc/$PPID/cmdline; echo; echo "tf-task=$TASKFLOW_TASK_ID"`;

const auth = { authorization: `Bearer ${TOKEN}` };
const procs: TaskflowProcess[] = [];
let dir: string;
let api: string;
let grpc: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "taskflow-task-env-"));
  const http = freePort();
  grpc = freePort();
  api = `http://127.0.0.1:${http}`;
  const core = startTaskflow(["--role=scheduler,coordinator", await migratedDataDirFlag(), `--http=127.0.0.1:${http}`, `--grpc=127.0.0.1:${grpc}`], { env: { TASKFLOW_TOKEN: TOKEN } });
  procs.push(core);
  await waitFor("readyz", async () => (await fetch(`${api}/readyz`, { headers: auth })).status === 200, 30_000);
}, 40_000);

afterAll(async () => {
  for (const p of procs) p.kill("SIGKILL");
  await Promise.all(procs.map((p) => p.exited));
  rmSync(dir, { recursive: true, force: true });
});

/** Runs SNOOP on a worker in queue `queue` and returns the stored stdout. */
async function snoop(queue: string): Promise<string> {
  const created = await fetch(`${api}/api/tasks`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ name: "snoop", command: SNOOP, queue, env: { MY_TASK_VAR: "mine" } }),
  });
  expect(created.status).toBe(201);
  const { id } = await created.json();
  const task = await waitFor(`task ${id} to finish`, async () => {
    const t = await (await fetch(`${api}/api/tasks/${id}`, { headers: auth })).json();
    return t.status === "completed" ? t : null;
  }, 30_000);
  return task.attempts.at(-1).stdout_tail as string;
}

function startWorker(queue: string, flags: string[], env: Record<string, string>): TaskflowProcess {
  const w = startTaskflow(["--role=worker", `--coordinator=127.0.0.1:${grpc}`, `--queues=${queue}`, "--concurrency=1", ...flags], { env: { ...WORKER_ENV, ...env } });
  procs.push(w);
  return w;
}

function expectNoSecrets(out: string): void {
  expect(out).toContain("tf-task=");
  expect(out).toContain("MY_TASK_VAR=mine");
  expect(out).toContain("HARMLESS_SETTING=kept");
  expect(out).not.toContain(TOKEN);
  expect(out).not.toContain(DB_PASSWORD);
  expect(out).not.toMatch(/^(TASKFLOW_TOKEN|DATABASE_URL|PGPASSWORD|PGHOST)=/m);
}

test("token by env: the task sees neither it nor the database password", async () => {
  startWorker("by-env", [], { TASKFLOW_TOKEN: TOKEN });
  expectNoSecrets(await snoop("by-env"));
}, 60_000);

test("token by --token-file: the task sees neither it nor the database password, not even on the worker's command line", async () => {
  const file = join(dir, "token");
  writeFileSync(file, `${TOKEN}\n`, { mode: 0o600 });
  startWorker("by-file", [`--token-file=${file}`], {});
  const out = await snoop("by-file");
  expectNoSecrets(out);
  expect(out).toContain(`--token-file=${file}`);
}, 60_000);

test("token by flag: a worker refuses it (exit 2, one line), as the command line is readable by every task", async () => {
  const w = startWorker("by-flag", [`--token=${TOKEN}`], {});
  expect(await w.exited).toBe(2);
  const lines = w.output().trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain("--token on the command line is readable by every task");
  expect(lines[0]).toContain("TASKFLOW_TOKEN");
  expect(lines[0]).not.toContain(TOKEN);
});

test("--task-env-passthrough brings named variables back, and nothing else", async () => {
  startWorker("passthrough", ["--task-env-passthrough=PGHOST"], { TASKFLOW_TOKEN: TOKEN });
  const out = await snoop("passthrough");
  expect(out).toMatch(/^PGHOST=db\.internal$/m);
  expect(out).not.toContain(TOKEN);
  expect(out).not.toContain(DB_PASSWORD);
}, 60_000);

test("taskBaseEnv: secrets out, prefixes passed through with NAME*", () => {
  const source = { PATH: "/bin", TASKFLOW_TOKEN: "t", TASKFLOW_WORKER_TOKEN: "w", DATABASE_URL: "postgres://", PGUSER: "u", HOME: "/root" };
  expect(taskBaseEnv(source)).toEqual({ PATH: "/bin", HOME: "/root" });
  expect(taskBaseEnv(source, ["PG*", "DATABASE_URL"])).toEqual({ PATH: "/bin", HOME: "/root", PGUSER: "u", DATABASE_URL: "postgres://" });
});
