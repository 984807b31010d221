/**
 * A short transaction sent in one go: BEGIN, the statements and COMMIT go out
 * together on one connection (postgres.js pipelines them), so the transaction costs
 * one round trip to PostgreSQL instead of one for BEGIN, one for the statements and
 * one for COMMIT. On a loaded machine each round trip waits for both processes to
 * be scheduled again, which made these two extra round trips a third of a submit's
 * way to its spawn (bench/README.md, submit → start).
 *
 * The catch is that the outcome of a statement cannot decide what follows: COMMIT is
 * already sent. PostgreSQL keeps it all or nothing anyway: after a failed statement
 * the later ones fail too and COMMIT answers ROLLBACK, so `pipelinedTransaction`
 * throws the first error and nothing of the transaction stands.
 *
 * Every statement must be sent before `issue` first waits for anything (the way
 * `Promise.all([queryA(tx), queryB(tx)])` sends both at once); a statement sent later
 * would land after the COMMIT, outside the transaction, so it is refused instead.
 *
 * On PGlite (one connection in this process, no network) a plain transaction serves.
 *
 * @example
 * const [made, claimed] = await pipelinedTransaction(db, (tx) => Promise.all([insert(tx), claim(tx)]));
 */
import { sql } from "drizzle-orm";
import { PgDatabase, type PgDialect } from "drizzle-orm/pg-core";
import { PostgresJsSession } from "drizzle-orm/postgres-js";
import type postgres from "postgres";
import { executePrepared, type Db } from "./client.ts";
import type { Executor } from "./sql.ts";

/** Runs `issue` in one transaction whose BEGIN, statements and COMMIT are sent together (PostgreSQL); see above. */
export async function pipelinedTransaction<T>(db: Db, issue: (tx: Executor) => Promise<T>): Promise<T> {
  const client = postgresClient(db);
  if (!client) return db.transaction((tx) => issue(tx as unknown as Executor));
  const reserved = await client.reserve();
  try {
    return await inOneGo(db, reserved, issue);
  } finally {
    reserved.release();
  }
}

async function inOneGo<T>(db: Db, reserved: postgres.ReservedSql, issue: (tx: Executor) => Promise<T>): Promise<T> {
  let open = true;
  // Only `unsafe` is what drizzle's session calls to run a statement; past COMMIT it refuses.
  const guarded = {
    unsafe: (...args: Parameters<postgres.Sql["unsafe"]>) => {
      if (!open) throw new Error("a statement of a pipelined transaction was sent after its COMMIT (send every statement before the first await)");
      return reserved.unsafe(...args);
    },
  };
  const dialect = (db as unknown as { dialect: PgDialect }).dialect;
  const tx = new PgDatabase(dialect, new PostgresJsSession(guarded as unknown as postgres.Sql, dialect, undefined), undefined) as unknown as Executor;
  const begin = settle(executePrepared(tx, sql`begin`));
  let failedBeforeSending = false;
  const body = settle(Promise.resolve().then(() => issue(tx))).then((r) => ((failedBeforeSending = !r.ok), r));
  // postgres.js hands a query to its connection a few microtasks after the call and writes
  // in a later macrotask: here every statement `issue` sent is queued, in order, nothing is
  // written yet, and COMMIT goes last. A body that already failed can only have failed in
  // this process (no answer can have come): ROLLBACK, so what it did send does not stand.
  await new Promise<void>((resolve) => setImmediate(resolve));
  const commit = settle(executePrepared(tx, failedBeforeSending ? sql`rollback` : sql`commit`));
  open = false;
  const [b, out, c] = await Promise.all([begin, body, commit]);
  // The first failure is the cause; the statements after it failed for want of a transaction.
  for (const r of [b, out, c]) if (!r.ok) throw r.error;
  const ended = (c as { value: { command?: string } }).value.command;
  if (ended !== "COMMIT") throw new Error(`a pipelined transaction ended with ${ended ?? "no answer"} instead of COMMIT`);
  return (out as { value: T }).value;
}

type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

function settle(p: Promise<unknown>): Promise<Settled> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/** The postgres.js client under `db`, or null on PGlite. */
function postgresClient(db: Db): postgres.Sql | null {
  const client = (db as unknown as { $client?: { reserve?: unknown } }).$client;
  return client && typeof client.reserve === "function" ? (client as postgres.Sql) : null;
}
