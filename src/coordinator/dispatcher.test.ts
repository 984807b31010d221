/**
 * The dispatcher on a real database, with a worker session whose stream is a
 * recorder: a NOTIFY starts a claim, a freed slot claims again only when tasks were
 * waiting for one, and a full claim is followed by another at once.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { describeEachBackend, openTestDatabase, type TestDatabase } from "../../test/support/databases.ts";
import { insertTasks, registerWorker } from "../../test/support/factories.ts";
import { waitFor } from "../../test/support/processes.ts";
import { insertTasks as submitTasks } from "../db/queries/insert-tasks.ts";
import { roleLogger } from "../log/logger.ts";
import type { ConnectServerStream, CoordinatorMessage } from "../proto/index.ts";
import { claimChunks, Dispatcher, fairSlots, groupByQueues, POLL_MS } from "./dispatcher.ts";
import { SessionRegistry } from "./session/session-registry.ts";
import { WorkerSession } from "./session/worker-session.ts";
import { rows } from "../db/sql.ts";
import { parseWake } from "../db/channels.ts";
import { SubmitWake } from "../core/submit-wake.ts";

const log = roleLogger("coordinator", "test");

/** A worker session that records what is dispatched to it. */
function recordingSession(id: string, concurrency: number): { session: WorkerSession; sent: CoordinatorMessage[] } {
  const sent: CoordinatorMessage[] = [];
  const stream = { destroyed: false, cancelled: false, write: (m: CoordinatorMessage) => sent.push(m) } as unknown as ConnectServerStream;
  return { session: new WorkerSession(id, "w", ["default"], concurrency, stream, log), sent };
}

test("free slots go one per worker per round, grouped by queues, in claims of powers of two", () => {
  const session = (id: string, free: number, queues = ["default"]) => {
    const s = recordingSession(id, free).session;
    return Object.assign(s, { queues });
  };
  const [a, b, c] = [session("a", 3), session("b", 1), session("c", 2)];
  expect(fairSlots([a, b, c]).map((s) => s.id)).toEqual(["a", "b", "c", "a", "c", "a"]);
  const mail = session("m", 1, ["mail", "default"]);
  const mail2 = session("n", 1, ["default", "mail"]);
  expect(groupByQueues([a, mail, b, mail2]).map((g) => g.map((s) => s.id))).toEqual([["a", "b"], ["m", "n"]]);
  expect(claimChunks(Array.from({ length: 700 }, (_, i) => i)).map((c) => c.length)).toEqual([256, 256, 128, 32, 16, 8, 4]);
  expect(claimChunks([1]).map((c) => c.length)).toEqual([1]);
});

describeEachBackend("dispatcher", (backend) => {
  let d: TestDatabase;
  let dispatcher: Dispatcher | null = null;
  beforeAll(async () => {
    d = await openTestDatabase(backend);
  });
  afterAll(() => d.close());
  beforeEach(async () => {
    await dispatcher?.stop();
    dispatcher = null;
    await d.db.execute(sql`truncate tasks, task_attempts, task_events, workers cascade`);
  });

  /** A dispatcher over one recording session; `passes` counts its claim passes. */
  async function start(concurrency: number, submits: SubmitWake | null = null) {
    const registry = new SessionRegistry();
    const { session, sent } = recordingSession(await registerWorker(d.db, { concurrency }), concurrency);
    registry.add(session);
    const ds = new Dispatcher(d, registry, log, null, submits);
    const counter = { passes: 0 };
    const runOnce = ds.runOnce.bind(ds);
    ds.runOnce = () => (counter.passes++, runOnce());
    dispatcher = ds;
    await ds.start();
    return { ds, session, sent, counter };
  }

  test("a submitted task is claimed on its NOTIFY and sent to the worker", async () => {
    const { sent, counter } = await start(4);
    const task = { name: "t", command: "true", env: {}, queue: "default", priority: 0, runAt: null, delayMs: 0, maxRetries: 0, backoffMs: 1000, backoffFactor: 2, backoffMaxMs: 60_000, timeoutMs: null, idempotencyKey: null };
    // Submitted after the first pass found nothing: only the NOTIFY can bring it.
    await waitFor("the first pass", () => counter.passes >= 1);
    await submitTasks(d.db, [task]);
    await waitFor("the dispatch", () => sent.some((m) => m.dispatch?.name === "t"));
  });

  test("a submit of its own process wakes it directly, and the echo of that submit's NOTIFY does not", async () => {
    const submits = new SubmitWake();
    const { sent, counter } = await start(4, submits);
    await waitFor("the first pass", () => counter.passes >= 1);
    // Its closing next-due lookup would find a task inserted meanwhile, so let it end first.
    await waitFor("the dispatcher to go idle", async () => {
      const before = counter.passes;
      await Bun.sleep(50);
      return counter.passes === before;
    });
    const task = (name: string) => ({ name, command: "true", env: {}, queue: "default", priority: 0, runAt: null, delayMs: 0, maxRetries: 0, backoffMs: 1000, backoffFactor: 2, backoffMaxMs: 60_000, timeoutMs: null, idempotencyKey: null });
    await submitTasks(d.db, [task("own")], { origin: submits.origin });
    // NOTIFYs reach one listening connection in commit order: once the fence is heard, so was the echo.
    const fenced = new Promise<void>((resolve) => void d.listen("tf_test_fence", () => resolve()).then(() => d.db.execute(sql`select pg_notify('tf_test_fence', '')`)));
    await fenced;
    expect(sent.filter((m) => m.dispatch)).toHaveLength(0);
    submits.committed();
    await waitFor("the directly woken dispatch", () => sent.some((m) => m.dispatch?.name === "own"));
    // Another process's submit still wakes it through the NOTIFY.
    await submitTasks(d.db, [task("theirs")], { origin: crypto.randomUUID() });
    await waitFor("the NOTIFY's dispatch", () => sent.some((m) => m.dispatch?.name === "theirs"));
  });

  test("wake payloads: a submit's names its origin, the rest are queue lists", () => {
    expect(parseWake(`{"queues" : ["a", "b"], "origin" : "p1"}`)).toEqual({ queues: ["a", "b"], origin: "p1" });
    expect(parseWake(`{"queues" : ["a"], "origin" : null}`)).toEqual({ queues: ["a"], origin: null });
    expect(parseWake(`["a"]`)).toEqual({ queues: ["a"], origin: null });
    expect(parseWake("nonsense")).toEqual({ queues: [], origin: null });
  });

  test("a freed slot claims again when tasks were left waiting for one, and only then", async () => {
    await insertTasks(d.db, 2);
    const { ds, session, sent, counter } = await start(1);
    await waitFor("the first dispatch", () => sent.length === 1);
    // The worker's one slot frees: the second task, left waiting, goes out well before the fallback poll.
    session.inflight.clear();
    ds.slotFreed();
    await waitFor("the second dispatch", () => sent.length === 2, POLL_MS / 2);
    // The worker was full after that claim, so freeing its slot claims again, and finds nothing.
    const afterSecond = counter.passes;
    session.inflight.clear();
    ds.slotFreed();
    await waitFor("a pass that finds nothing due", () => counter.passes > afterSecond);
    await waitFor("the dispatcher to go idle", async () => {
      const before = counter.passes;
      await Bun.sleep(50);
      return counter.passes === before;
    });
    // Now the worker has a free slot and nothing was left waiting: a freed slot costs no claim.
    const idle = counter.passes;
    ds.slotFreed();
    await Bun.sleep(50);
    expect(counter.passes).toBe(idle);
    expect(sent).toHaveLength(2);
  });

  test("a task due shortly is claimed by the timer set to its run_at, never before it", async () => {
    const { sent, counter } = await start(4);
    await waitFor("the first pass", () => counter.passes >= 1);
    // Inserted without a NOTIFY: only a timer (or the much later poll) can bring it.
    const [task] = await insertTasks(d.db, 1, { runAt: sql`now() + interval '300 milliseconds'` as unknown as Date });
    dispatcher!.wake();
    await waitFor("the dispatch", () => sent.length === 1, POLL_MS - 300);
    const [row] = rows<{ early: boolean }>(await d.db.execute(sql`select picked_at < run_at as early from tasks where id = ${task!.id}`));
    expect(row!.early).toBe(false);
  });
});
