/**
 * The database part of a `--role=all` submit, two checkouts interleaved:
 *
 *   bun bench/submit-claim-ab.ts --a=/path/to/checkout --b=/path/to/checkout [--url=postgres://…/postgres] [--tasks=300] [--gap-ms=10] [--concurrent=1]
 *
 * Each checkout gets its own fresh database and runs its own code: the task routes'
 * insert (`submitInsert`, with the in-process claim) and a real Dispatcher over one
 * worker session with 16 slots whose stream only stamps the dispatch and frees the slot
 * at once. Submits alternate between A and B (`--concurrent` at a time, then a pause of
 * `--gap-ms`), so both see the same moments of a shared machine. Prints per checkout:
 * submit → dispatch p50/p90/p99 (ms). `--count` sends each side's statements through a
 * counting proxy (bench/support/statement-counter.ts; its hop makes the times
 * meaningless) and prints the statements per submit and the most frequent ones, the
 * dispatcher's passes included: figures no load moves.
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import postgres from "postgres";
import { StatementCounter } from "./support/statement-counter.ts";

const { values } = parseArgs({
  options: { count: { type: "boolean" }, a: { type: "string" }, b: { type: "string" }, url: { type: "string" }, tasks: { type: "string" }, "gap-ms": { type: "string" }, concurrent: { type: "string" } },
});
if (!values.a || !values.b) {
  process.stderr.write("usage: bun bench/submit-claim-ab.ts --a=CHECKOUT --b=CHECKOUT [--url=…] [--tasks=300] [--gap-ms=10] [--concurrent=1]\n");
  process.exit(2);
}
const adminUrl = values.url ?? "postgres://postgres@127.0.0.1:5432/postgres";
const tasks = Number(values.tasks ?? 300);
const gapMs = Number(values["gap-ms"] ?? 10);
const concurrent = Number(values.concurrent ?? 1);
const SLOTS = 16;

interface Side {
  label: string;
  dbName: string;
  submit: (name: string) => Promise<unknown>;
  /** Dispatch time by task name. */
  dispatchedAt: Map<string, number>;
  counter: StatementCounter | null;
  /** Ends the dispatcher and the pool (whose backends then report their counts). */
  stop: () => Promise<void>;
  drop: () => Promise<void>;
}

const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });

async function side(label: string, root: string): Promise<Side> {
  const imp = (p: string) => import(join(root, p));
  const [{ openDatabase }, { migrate }, { openWorkerSession }, { Dispatcher }, { SessionRegistry }, { WorkerSession }, { SubmitWake }, { submitInsert }, { roleLogger }] = await Promise.all([
    imp("src/db/client.ts"), imp("src/db/migrate.ts"), imp("src/db/queries/open-worker-session.ts"), imp("src/coordinator/dispatcher.ts"),
    imp("src/coordinator/session/session-registry.ts"), imp("src/coordinator/session/worker-session.ts"), imp("src/core/submit-wake.ts"),
    imp("src/scheduler/tasks/local-submit.ts"), imp("src/log/logger.ts"),
  ]);
  const dbName = `taskflow_subab_${label.toLowerCase()}_${Date.now().toString(36)}`;
  await admin.unsafe(`create database ${dbName}`);
  const url = adminUrl.replace(/\/[^/]*$/, `/${dbName}`);
  // Migrated on a pool of its own, closed at once: its backends' counts reach pg_stat_database when they exit.
  const migrating = await openDatabase({ databaseUrl: url, dataDir: "", onNotice: () => {} });
  await migrate(migrating.db);
  await migrating.close();
  const u = new URL(url);
  const counter = values.count ? new StatementCounter(u.hostname, Number(u.port || 5432), true) : null;
  await counter?.start();
  const database = await openDatabase({ databaseUrl: counter ? counter.urlThrough(url) : url, dataDir: "", onNotice: () => {} });
  const log = roleLogger("coordinator", "bench");
  const dispatchedAt = new Map<string, number>();
  let session: { inflight: Map<string, unknown> } | null = null;
  const stream = {
    destroyed: false,
    cancelled: false,
    write: (m: { dispatch?: { name: string; task_id: string; attempt: number } }) => {
      if (m.dispatch) {
        dispatchedAt.set(m.dispatch.name, performance.now());
        // The slot frees at once, as if the task had run and reported: the next submit finds it free.
        queueMicrotask(() => session!.inflight.delete(`${m.dispatch!.task_id}:${m.dispatch!.attempt}`));
      }
      return true;
    },
  };
  const hello = { name: `w-${label}`, host: "bench", pid: 1, queues: ["default"], concurrency: SLOTS, version: "bench", draining: false, coordinator: "bench" };
  const workerId = (await openWorkerSession(database.db, hello, null)).id;
  session = new WorkerSession(workerId, hello.name, ["default"], SLOTS, stream, log);
  const registry = new SessionRegistry();
  registry.add(session);
  const submits = new SubmitWake();
  const dispatcher = new Dispatcher(database, registry, log, null, submits);
  await dispatcher.start();
  const insert = submitInsert(database.db, submits);
  const submit = (name: string) =>
    insert([{ name, command: "true", env: {}, queue: "default", priority: 0, runAt: null, delayMs: 0, maxRetries: 0, backoffMs: 1000, backoffFactor: 2, backoffMaxMs: 60_000, timeoutMs: null, idempotencyKey: null, createdBy: "api" }]);
  return {
    label,
    dbName,
    submit,
    dispatchedAt,
    counter,
    stop: async () => {
      await dispatcher.stop();
      await database.close();
      await counter?.stop();
    },
    drop: () => admin.unsafe(`drop database ${dbName} with (force)`).then(() => {}),
  };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};

const sides = [await side("A", values.a), await side("B", values.b)];
const WARM = 20;
try {
  const sentAt = new Map<string, number>();
  const lat: Record<string, number[]> = { A: [], B: [] };
  // Warm-up: prepared statements, the pools' connections.
  for (let i = 0; i < WARM; i++) for (const s of sides) await s.submit(`warm-${s.label}-${i}`);
  await Bun.sleep(500);
  const before = sides.map((s) => ({ n: s.counter?.statements ?? 0, texts: new Map(s.counter?.byText ?? []) }));
  const load = (await Bun.file("/proc/loadavg").text()).split(" ")[0];
  for (let i = 0; i < tasks; i += concurrent) {
    // Which side goes first turns every round.
    const order = i % (2 * concurrent) === 0 ? sides : [...sides].reverse();
    for (const s of order) {
      const names = Array.from({ length: Math.min(concurrent, tasks - i) }, (_, k) => `t-${s.label}-${i + k}`);
      await Promise.all(names.map((n) => (sentAt.set(n, performance.now()), s.submit(n))));
      await Bun.sleep(gapMs);
    }
  }
  await Bun.sleep(500); // a dispatcher pass still under way
  for (const [k, s] of sides.entries()) {
    for (const [name, at] of s.dispatchedAt) if (name.startsWith("t-")) lat[s.label]!.push(at - sentAt.get(name)!);
    const xs = lat[s.label]!;
    process.stdout.write(
      `${JSON.stringify({ side: s.label, root: k === 0 ? values.a : values.b, load, concurrent, n: xs.length, submit_to_dispatch_p50: pct(xs, 0.5), p90: pct(xs, 0.9), p99: pct(xs, 0.99) })}\n`,
    );
    if (s.counter) {
      process.stdout.write(`  ${s.label}: ${((s.counter.statements - before[k]!.n) / tasks).toFixed(2)} statements per submit\n`);
      for (const [text, n] of s.counter.topSince(before[k]!.texts)) process.stdout.write(`    ${(n / tasks).toFixed(2)}  ${text}\n`);
    }
  }
} finally {
  for (const s of sides) await s.stop().catch(() => {});
  for (const s of sides) await s.drop().catch((e) => process.stderr.write(`${e}\n`));
  await admin.end();
}
