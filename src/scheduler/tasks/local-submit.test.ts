/**
 * A submit in a process with its own coordinator (--role=all): the dispatcher's claim
 * runs inside the insert's transaction for a free local slot, the tasks go out once
 * it commits, and a rolled-back submit gives its reserved slots back. Real database,
 * real Dispatcher, a worker session whose stream is a recorder.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { describeEachBackend, openTestDatabase, type TestDatabase } from "../../../test/support/databases.ts";
import { registerWorker } from "../../../test/support/factories.ts";
import { waitFor } from "../../../test/support/processes.ts";
import { Dispatcher } from "../../coordinator/dispatcher.ts";
import { SessionRegistry } from "../../coordinator/session/session-registry.ts";
import { WorkerSession } from "../../coordinator/session/worker-session.ts";
import { SubmitWake } from "../../core/submit-wake.ts";
import type { NewTask } from "../../db/queries/insert-tasks.ts";
import { rows, type Executor } from "../../db/sql.ts";
import { roleLogger } from "../../log/logger.ts";
import type { ConnectServerStream, CoordinatorMessage } from "../../proto/index.ts";
import { claimableQueue, submitInsert } from "./local-submit.ts";

const log = roleLogger("coordinator", "test");

const task = (name: string, over: Partial<NewTask> = {}): NewTask => ({
  name,
  command: "true",
  env: {},
  queue: "default",
  priority: 0,
  runAt: null,
  delayMs: 0,
  maxRetries: 0,
  backoffMs: 1000,
  backoffFactor: 2,
  backoffMaxMs: 60_000,
  timeoutMs: null,
  idempotencyKey: null,
  ...over,
});

test("only tasks due now, in one queue, that any worker of it may run are claimed in the submit's transaction", () => {
  expect(claimableQueue([task("a"), task("b")])).toBe("default");
  expect(claimableQueue([task("a"), task("b", { queue: "mail" })])).toBeNull();
  expect(claimableQueue([task("a", { delayMs: 5 })])).toBeNull();
  expect(claimableQueue([task("a", { runAt: new Date() })])).toBeNull();
  expect(claimableQueue([task("a", { selector: { gpu: "yes" } })])).toBeNull();
  expect(claimableQueue([task("a", { selector: {} })])).toBe("default");
  expect(claimableQueue([task("a", { concurrencyKey: "k" })])).toBeNull();
  expect(claimableQueue([task("a", { idempotencyKey: "k" })])).toBeNull();
  expect(claimableQueue([])).toBeNull();
});

describeEachBackend("submit with a local coordinator", (backend) => {
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

  /** A started dispatcher over one recording session, and the insert the task routes would use. */
  async function start(concurrency: number) {
    const submits = new SubmitWake<Executor>();
    const registry = new SessionRegistry();
    const sent: CoordinatorMessage[] = [];
    const stream = { destroyed: false, cancelled: false, write: (m: CoordinatorMessage) => sent.push(m) } as unknown as ConnectServerStream;
    const session = new WorkerSession(await registerWorker(d.db, { concurrency }), "w", ["default"], concurrency, stream, log);
    registry.add(session);
    dispatcher = new Dispatcher(d, registry, log, null, submits);
    await dispatcher.start();
    // Its first pass holds the free slots while it claims (none due): submits claim once it is over.
    await waitFor("the dispatcher's first pass", () => session.reserved === 0);
    const dispatched = () => sent.filter((m) => m.dispatch).map((m) => m.dispatch!.name);
    return { insert: submitInsert(d.db, submits), session, dispatched };
  }

  const picked = async () =>
    rows<{ name: string; status: string; same_tx: boolean }>(
      await d.db.execute(sql`select name, status, picked_at = run_at as same_tx from tasks order by name`),
    );

  test("a task due now is claimed by the submit's own transaction and sent before the submit returns", async () => {
    const { insert, dispatched } = await start(2);
    const [made] = await insert([task("now")]);
    expect(made!.created).toBe(true);
    expect(dispatched()).toEqual(["now"]);
    // now() is the transaction's start: only a claim in the insert's transaction picks at run_at itself.
    expect(await picked()).toEqual([{ name: "now", status: "picked", same_tx: true }]);
  });

  test("a batch fills the free slots in its transaction; the rest wait for a slot", async () => {
    const { insert, session, dispatched } = await start(2);
    await insert([task("a"), task("b"), task("c")]);
    expect(dispatched()).toHaveLength(2);
    expect((await picked()).filter((r) => r.status === "picked").map((r) => r.same_tx)).toEqual([true, true]);
    expect(session.free).toBe(0);
    expect(session.reserved).toBe(0);
  });

  test("concurrent submits each claim in their own transaction while free slots last", async () => {
    const { insert, session, dispatched } = await start(2);
    await Promise.all([insert([task("a")]), insert([task("b")]), insert([task("c")])]);
    // Two submits found a free slot and claimed; the third inserted plainly. A claim takes the oldest
    // due task, which may be another submit's that committed first: which two run depends on timing.
    expect(dispatched()).toHaveLength(2);
    const claims = rows<{ status: string; by_a_submit: boolean }>(
      await d.db.execute(sql`
        select p.status, exists (select 1 from tasks s where s.run_at = p.picked_at) as by_a_submit
        from tasks p order by p.status`),
    );
    // now() is a transaction's start: a claim inside a submit's transaction picks at that submit's run_at.
    expect(claims).toEqual([
      { status: "picked", by_a_submit: true },
      { status: "picked", by_a_submit: true },
      { status: "scheduled", by_a_submit: false },
    ]);
    expect(session.reserved).toBe(0);
  });

  test("a task due later is not claimed by the submit; the dispatcher's timer takes it", async () => {
    const { insert, dispatched } = await start(2);
    await insert([task("later", { delayMs: 200 })]);
    expect(dispatched()).toEqual([]);
    await waitFor("the timer's dispatch", () => dispatched().length === 1);
    expect(await picked()).toEqual([{ name: "later", status: "picked", same_tx: false }]);
  });

  test("a submit whose claim fails writes nothing and gives its reserved slots back", async () => {
    const { insert, session, dispatched } = await start(2);
    // A trigger stands in for any failure of the claim inside the submit's transaction.
    await d.db.execute(sql`create function tf_test_boom() returns trigger language plpgsql as $$ begin raise exception 'boom'; end $$`);
    await d.db.execute(sql`create trigger tf_test_boom before insert on task_attempts for each row execute function tf_test_boom()`);
    try {
      await expect(insert([task("boom")])).rejects.toThrow();
      expect(rows<{ n: number }>(await d.db.execute(sql`select count(*)::int as n from tasks`))[0]!.n).toBe(0);
      // The failed submit still wakes the dispatcher, whose pass holds the slots while it claims (nothing).
      await waitFor("the reserved slots back", () => session.reserved === 0);
      expect(session.free).toBe(2);
      expect(dispatched()).toEqual([]);
    } finally {
      await d.db.execute(sql`drop trigger tf_test_boom on task_attempts`);
      await d.db.execute(sql`drop function tf_test_boom()`);
    }
  });
});
