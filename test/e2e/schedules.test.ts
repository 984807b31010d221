// A checker in the spirit of Jepsen's test of Chronos: an every-second schedule
// runs for ~16 s on real processes while a coordinator is SIGKILLed and restarted;
// then every due second of the window must be matched by exactly one task (none
// missing, none doubled), each started within 1 s of its due time.
//
// On PostgreSQL (TASKFLOW_TEST_DATABASE_URL set): a scheduler, TWO coordinators
// and two workers (one dialing each coordinator first); coordinator A is killed
// and restarted while B keeps ticking, so no second may be lost.
// On PGlite: one scheduler+coordinator process and a worker; killing that process
// is a full outage, so the missed seconds may be absent, but exactly one catch-up
// (the latest missed second) must run after the restart, and one task per second
// again from there.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPostgresDatabase, TEST_DATABASE_URL } from "../support/databases.ts";
import { freePort, startTaskflow, waitFor, waitReady, type TaskflowProcess } from "../support/processes.ts";

const RUN_BEFORE_KILL_MS = 6000;
const RUN_AFTER_RESTART_MS = 7000;
/** PGlite: how long everything stays down (the outage whose ticks are not replayed, but the last one). */
const OUTAGE_MS = 3000;
const TIMING = ["--heartbeat=200", "--worker-timeout=1500"];

const started: TaskflowProcess[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const p of started) p.kill("SIGKILL");
  await Promise.all(started.map((p) => p.exited));
  for (const c of cleanups) await c();
});

function start(args: string[]): TaskflowProcess {
  const p = startTaskflow([...args, ...TIMING]);
  started.push(p);
  return p;
}

/** A coordinator is up once it listens for workers (it has no HTTP port). */
async function waitListening(p: TaskflowProcess): Promise<void> {
  await waitFor(`a coordinator to listen; output:\n${p.output()}`, () => {
    if (p.proc.exitCode !== null) throw new Error(`process exited ${p.proc.exitCode}:\n${p.output()}`);
    return p.output().includes("gRPC for workers on");
  }, 30_000);
}

async function api(base: string, method: string, path: string, body?: unknown): Promise<any> {
  const r = await fetch(`${base}${path}`, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (r.status >= 300) throw new Error(`${method} ${path} answered ${r.status}: ${await r.text()}`);
  return r.json();
}

interface SeenTask {
  idempotency_key: string;
  run_at: string;
  started_at: string | null;
  status: string;
  schedule_id: string;
}

/**
 * The checker: what must hold of the tasks of schedule `id` whose first due time was
 * `first` and last `last` (ms). `outage`, when given, is the interval (ms) during
 * which nothing ran: seconds inside it may be missing, except that the task right
 * after the gap must be the single catch-up. Returns every violation found.
 */
function checkTicks(id: string, first: number, last: number, seen: SeenTask[], outage: { from: number; to: number } | null): string[] {
  const problems: string[] = [];
  const byDue = new Map<number, SeenTask[]>();
  for (const t of seen) {
    const due = Date.parse(t.run_at);
    if (t.idempotency_key !== `schedule:${id}:${new Date(due).toISOString()}`) problems.push(`task for ${t.run_at} has key ${t.idempotency_key}`);
    byDue.set(due, [...(byDue.get(due) ?? []), t]);
  }
  const dues = [...byDue.keys()].sort((a, b) => a - b);
  for (const due of dues) {
    if (due < first || due > last || due % 1000 !== 0) problems.push(`unexpected task for ${new Date(due).toISOString()}`);
    if (byDue.get(due)!.length > 1) problems.push(`${byDue.get(due)!.length} tasks for ${new Date(due).toISOString()}`);
  }
  let catchUp: number | null = null;
  for (let due = first; due <= last; due += 1000) {
    if (byDue.has(due)) continue;
    const inOutage = outage !== null && due >= outage.from - 1000 && due <= outage.to;
    if (!inOutage) problems.push(`no task for ${new Date(due).toISOString()}`);
    else catchUp = dues.find((d) => d > due) ?? null;
  }
  if (outage !== null) {
    // Seconds missed while down collapse into one: a single gap, closed by the catch-up.
    const gaps = dues.slice(1).filter((d, i) => d - dues[i]! > 1000);
    if (gaps.length !== 1) problems.push(`expected one gap (the outage), found ${gaps.length}`);
  }
  for (const due of dues) {
    const t = byDue.get(due)![0]!;
    if (t.status !== "completed") problems.push(`task for ${t.run_at} is ${t.status}`);
    // The catch-up is late by design; tasks during the worker's reconnection are judged by `outage` too.
    if (due === catchUp || (outage !== null && due <= outage.to + 1000)) continue;
    const lag = t.started_at === null ? Infinity : Date.parse(t.started_at) - due;
    if (lag > 1000) problems.push(`task for ${t.run_at} started ${lag} ms after its due time`);
  }
  return problems;
}

test("the checker itself flags missing, doubled, late, unexpected and replayed ticks", () => {
  const id = "s";
  const at = (ms: number, lag = 50, key?: string): SeenTask => ({
    idempotency_key: key ?? `schedule:${id}:${new Date(ms).toISOString()}`,
    run_at: new Date(ms).toISOString(),
    started_at: new Date(ms + lag).toISOString(),
    status: "completed",
    schedule_id: id,
  });
  const t0 = 1_800_000_000_000;
  const good = [0, 1, 2, 3, 4].map((i) => at(t0 + i * 1000));
  expect(checkTicks(id, t0, t0 + 4000, good, null)).toEqual([]);
  expect(checkTicks(id, t0, t0 + 4000, good.filter((_, i) => i !== 2), null)).toEqual([`no task for ${new Date(t0 + 2000).toISOString()}`]);
  expect(checkTicks(id, t0, t0 + 4000, [...good, at(t0 + 1000)], null)).toEqual([`2 tasks for ${new Date(t0 + 1000).toISOString()}`]);
  expect(checkTicks(id, t0, t0 + 4000, [...good.slice(0, 4), at(t0 + 4000, 1500)], null)[0]).toContain("started 1500 ms after");
  expect(checkTicks(id, t0, t0 + 4000, [...good, at(t0 + 5000)], null)[0]).toContain("unexpected task");
  expect(checkTicks(id, t0, t0 + 4000, [...good.slice(0, 4), at(t0 + 4000, 50, "other")], null)[0]).toContain("has key other");
  // An outage over seconds 2-3: one catch-up (3) closes the gap; replaying 2 as well is a violation.
  const outage = { from: t0 + 1500, to: t0 + 3500 };
  const afterOutage = [at(t0), at(t0 + 1000), at(t0 + 3000, 400), at(t0 + 4000)];
  expect(checkTicks(id, t0, t0 + 4000, afterOutage, outage)).toEqual([]);
  expect(checkTicks(id, t0, t0 + 4000, [...afterOutage, at(t0 + 2000, 1400)], outage)).toEqual(["expected one gap (the outage), found 0"]);
});

test(`an every-second schedule: exactly one task per due second across a coordinator kill and restart [${TEST_DATABASE_URL ? "postgres" : "pglite"}]`, async () => {
  const http = `127.0.0.1:${freePort()}`;
  const base = `http://${http}`;
  const grpcA = `127.0.0.1:${freePort()}`;
  const grpcB = `127.0.0.1:${freePort()}`;
  let coordinatorArgs: string[];
  /** The coordinator that gets killed (on PGlite, the one process holding the database). */
  let coordinatorA: TaskflowProcess;
  let outage: { from: number; to: number } | null = null;
  let workersExpected: number;

  if (TEST_DATABASE_URL) {
    const db = await createPostgresDatabase();
    cleanups.push(db.drop);
    const scheduler = start(["--role=scheduler", `--database-url=${db.url}`, `--http=${http}`]);
    await waitReady(base, scheduler);
    coordinatorArgs = ["--role=coordinator", `--database-url=${db.url}`, `--grpc=${grpcA}`];
    coordinatorA = start(coordinatorArgs);
    const b = start(["--role=coordinator", `--database-url=${db.url}`, `--grpc=${grpcB}`]);
    await Promise.all([waitListening(coordinatorA), waitListening(b)]);
    // Each worker dials a different coordinator first, so B always has one while A is down.
    start(["--role=worker", `--coordinator=${grpcA},${grpcB}`, "--name=w-a", "--concurrency=4"]);
    start(["--role=worker", `--coordinator=${grpcB},${grpcA}`, "--name=w-b", "--concurrency=4"]);
    workersExpected = 2;
  } else {
    const dataDir = mkdtempSync(join(tmpdir(), "taskflow-schedules-e2e-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    coordinatorArgs = ["--role=scheduler,coordinator", `--data-dir=${dataDir}`, `--http=${http}`, `--grpc=${grpcA}`];
    coordinatorA = start(coordinatorArgs);
    await waitReady(base, coordinatorA);
    start(["--role=worker", `--coordinator=${grpcA}`, "--name=w-a", "--concurrency=4"]);
    workersExpected = 1;
  }
  const aliveWorkers = async () => (await api(base, "GET", "/api/workers")).workers.filter((w: { status: string }) => w.status === "alive");
  await waitFor("the workers to join", async () => (await aliveWorkers()).length >= workersExpected, 20_000);

  // overlap allow (the behaviour before overlap policies): every due second must make its task, whatever is live.
  const created = await api(base, "POST", "/api/schedules", { name: "every second", cron: "* * * * * *", overlap: "allow", task: { command: "true" } });
  const first = Date.parse(created.next_run_at);
  const path = `/api/schedules/${created.id}`;

  // Kill at a quiet moment: just after a tick's task completed. A kill between a claim and its
  // dispatch would leave that attempt to the worker timeout (at-least-once delivery, a retry
  // well past 1 s), which is not what this checker is about: ticks are.
  await waitFor("ticks before the kill", async () => {
    const s = await api(base, "GET", path);
    return s.last_run_at !== null && Date.parse(s.last_run_at) >= first + RUN_BEFORE_KILL_MS && s.last_task_status === "completed";
  }, RUN_BEFORE_KILL_MS + 15_000, 20);
  coordinatorA.kill("SIGKILL");
  await coordinatorA.exited;
  const killedAt = Date.now();
  if (!TEST_DATABASE_URL) await Bun.sleep(OUTAGE_MS); // the outage itself, not a synchronization
  const restarted = start(coordinatorArgs);
  if (TEST_DATABASE_URL) await waitListening(restarted);
  else {
    await waitReady(base, restarted);
    // The worker redials with backoff; until it is back, due tasks wait, by design. Back within the
    // worker timeout it resumes its session (same row, same started_at), else it registers anew:
    // either way only the restarted coordinator can have written a heartbeat after the kill.
    await waitFor("the worker to reconnect", async () => (await aliveWorkers()).some((w: { last_heartbeat_at: string }) => Date.parse(w.last_heartbeat_at) > killedAt), 20_000);
    outage = { from: killedAt, to: Date.now() };
  }
  const restartedAt = Date.now();
  await waitFor("ticks after the restart", async () => {
    const s = await api(base, "GET", path);
    return s.last_run_at !== null && Date.parse(s.last_run_at) >= restartedAt + RUN_AFTER_RESTART_MS;
  }, RUN_AFTER_RESTART_MS + 15_000, 50);

  // Pausing locks the row, so a tick in progress lands first; none follows.
  const paused = await api(base, "PATCH", path, { paused: true });
  const last = Date.parse(paused.last_run_at);
  const ours = async (): Promise<SeenTask[]> =>
    (await api(base, "GET", "/api/tasks?limit=500")).tasks.filter((t: SeenTask) => t.schedule_id === created.id);
  const seen = await waitFor("every tick's task to finish", async () => {
    const all = await ours();
    return all.every((t) => ["completed", "failed", "cancelled"].includes(t.status)) ? all : null;
  }, 20_000);

  const problems = checkTicks(created.id, first, last, seen, outage);
  if (problems.length > 0) console.error(`checker found:\n${problems.join("\n")}\ntasks:\n${JSON.stringify(seen, null, 1)}`);
  expect(problems).toEqual([]);
  expect(last - first).toBeGreaterThanOrEqual(12_000);
  if (!TEST_DATABASE_URL) expect(seen.length).toBeLessThan((last - first) / 1000 + 1);
}, 120_000);
