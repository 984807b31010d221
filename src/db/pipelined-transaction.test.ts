/**
 * A transaction sent in one go (BEGIN, statements, COMMIT pipelined): its statements
 * commit together, a failing one takes the others with it and surfaces its own error,
 * a statement sent after the COMMIT is refused, and the connection is clean after.
 * Real PostgreSQL and PGlite (where it is a plain transaction).
 */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { describeEachBackend, openTestDatabase, type TestDatabase } from "../../test/support/databases.ts";
import { executePrepared } from "./client.ts";
import { pipelinedTransaction } from "./pipelined-transaction.ts";
import { rows, type Executor } from "./sql.ts";

const insertName = (tx: Executor, name: string) => executePrepared(tx, sql`insert into pipelined_probe (name) values (${name}) returning name`);
/** The database's own message: drizzle wraps it in a DrizzleQueryError naming the statement. */
const failure = async (p: Promise<unknown>) => {
  const err = await p.then(() => null, (e: Error & { cause?: Error }) => e);
  return err === null ? "no error" : (err.cause?.message ?? err.message);
};
const names = async (d: TestDatabase) => rows<{ name: string }>(await d.db.execute(sql`select name from pipelined_probe order by name`)).map((r) => r.name);

describeEachBackend("pipelinedTransaction", (backend) => {
  let d: TestDatabase;
  beforeAll(async () => {
    d = await openTestDatabase(backend);
    await d.db.execute(sql`create table pipelined_probe (name text primary key)`);
  });
  afterAll(() => d.close());
  beforeEach(async () => {
    await d.db.execute(sql`truncate pipelined_probe`);
  });

  test("statements sent together commit together, each answering its own result", async () => {
    const [a, b] = await pipelinedTransaction(d.db, (tx) => Promise.all([insertName(tx, "a"), insertName(tx, "b")]));
    expect(rows<{ name: string }>(a)).toEqual([{ name: "a" }]);
    expect(rows<{ name: string }>(b)).toEqual([{ name: "b" }]);
    expect(await names(d)).toEqual(["a", "b"]);
  });

  test("a later statement sees an earlier one's rows (they run in the order sent)", async () => {
    const [, seen] = await pipelinedTransaction(d.db, (tx) => Promise.all([insertName(tx, "a"), executePrepared(tx, sql`select count(*)::int as n from pipelined_probe`)]));
    expect(rows<{ n: number }>(seen)).toEqual([{ n: 1 }]);
  });

  test("a failing statement rolls back the ones before it and surfaces its own error, not the aborted transaction's", async () => {
    await d.db.execute(sql`insert into pipelined_probe (name) values ('taken')`);
    const attempt = pipelinedTransaction(d.db, (tx) => Promise.all([insertName(tx, "a"), insertName(tx, "taken"), insertName(tx, "c")]));
    expect(await failure(attempt)).toMatch(/duplicate key/);
    expect(await names(d)).toEqual(["taken"]);
    // The connection went back to the pool outside any transaction: later statements commit.
    for (let i = 0; i < 12; i++) await pipelinedTransaction(d.db, (tx) => insertName(tx, `ok${i}`));
    expect((await names(d)).length).toBe(13);
  });

  test("a body that fails before any answer came (in this process) rolls back the statements it sent", async () => {
    const attempt = pipelinedTransaction(d.db, async (tx) => {
      void insertName(tx, "a").catch(() => {});
      throw new Error("refused before the round trip");
    });
    expect(await failure(attempt)).toMatch(/refused before the round trip/);
    expect(await names(d)).toEqual([]);
  });

  if (backend === "postgres") {
    test("a statement sent after the transaction's first await is refused, never run outside it", async () => {
      const attempt = pipelinedTransaction(d.db, async (tx) => {
        await new Promise((r) => setTimeout(r, 5));
        return insertName(tx, "late");
      });
      expect(await failure(attempt)).toMatch(/after its COMMIT/);
      expect(await names(d)).toEqual([]);
    });
  }
});
