import { afterAll, beforeAll, expect, test } from "bun:test";
import { inArray } from "drizzle-orm";
import { describeEachBackend, openTestDatabase, type TestDatabase } from "../../../../test/support/databases.ts";
import { tasks, type TaskRow } from "../../schema/index.ts";
import { insertTasks, type NewTask } from "../insert-tasks.ts";

const newTask = (o: Partial<NewTask> = {}): NewTask => ({
  name: "n", command: "true", env: {}, queue: "default", priority: 0, runAt: null, delayMs: 0, maxRetries: 3, backoffMs: 1000,
  backoffFactor: 2, backoffMaxMs: 3_600_000, timeoutMs: null, idempotencyKey: null, createdBy: "api", ...o,
});

/** Every column a submit sets, as stored (the database's own columns left out). */
const submitted = ({ id, seq, createdAt, updatedAt, runAt, ...rest }: TaskRow) => rest;

describeEachBackend("the row insert", (backend) => {
  let d: TestDatabase;
  beforeAll(async () => {
    d = await openTestDatabase(backend);
  });
  afterAll(() => d.close());

  // A row leaves out the values most tasks have and the statement fills them back in: both kinds must be stored as given.
  test("stores common and uncommon values alike, and answers the rows as stored", async () => {
    const runAt = new Date("2031-01-02T03:04:05.678Z");
    const common = newTask({ name: "common", runAt });
    const uncommon = newTask({
      name: "uncommon", env: { B: "2", A: "1" }, queue: "other", priority: -5, runAt, maxRetries: 0, backoffMs: 5, backoffFactor: 1.5,
      backoffMaxMs: 60_000, timeoutMs: 100, concurrencyKey: "k", concurrencyLimit: 3, onDependencyFailure: "run", labels: { team: "db" },
      selector: { os: "linux" }, fanoutRetry: "any", createdBy: null,
    });
    const delayed = newTask({ name: "delayed", delayMs: 60_000 });
    const answered = (await insertTasks(d.db, [common, uncommon, delayed])).map((r) => r.task);
    const stored = await d.db.select().from(tasks).where(inArray(tasks.id, answered.map((t) => t.id)));
    const byName = new Map(stored.map((t) => [t.name, t]));
    for (const t of answered) expect(t).toEqual(byName.get(t.name)!);
    expect(submitted(byName.get("common")!)).toMatchObject({
      env: {}, queue: "default", priority: 0, maxRetries: 3, backoffMs: 1000, backoffFactor: 2, backoffMaxMs: 3_600_000, timeoutMs: null,
      concurrencyKey: null, concurrencyLimit: 1, onDependencyFailure: "cancel", blockedBy: 0, hasDependents: false, labels: {},
      selector: null, fanoutRetry: "same", createdBy: "api",
    });
    expect(submitted(byName.get("uncommon")!)).toMatchObject({
      env: { A: "1", B: "2" }, queue: "other", priority: -5, maxRetries: 0, backoffMs: 5, backoffFactor: 1.5, backoffMaxMs: 60_000,
      timeoutMs: 100, concurrencyKey: "k", concurrencyLimit: 3, onDependencyFailure: "run", labels: { team: "db" },
      selector: { os: "linux" }, fanoutRetry: "any", createdBy: null,
    });
    expect(byName.get("common")!.runAt).toEqual(runAt);
    const delayedRow = byName.get("delayed")!;
    expect(delayedRow.runAt.getTime() - delayedRow.createdAt.getTime()).toBe(60_000);
  });

  // The statement names the new rows by seq alone while every row was inserted, by id when a known key skipped one.
  test("answers each item its own row when a known key skips a row between new ones", async () => {
    const [first] = await insertTasks(d.db, [newTask({ name: "keyed first", idempotencyKey: "skip-me" })]);
    const items = [
      newTask({ name: "before", env: { X: "1" } }),
      newTask({ name: "keyed again", idempotencyKey: "skip-me" }),
      newTask({ name: "after", labels: { team: "ops" }, selector: { gpu: "*" } }),
      newTask({ name: "plain" }),
    ];
    const answered = await insertTasks(d.db, items);
    expect(answered.map((r) => [r.task.name, r.created])).toEqual([["before", true], ["keyed first", false], ["after", true], ["plain", true]]);
    expect(answered[1]!.task.id).toBe(first!.task.id);
    const stored = await d.db.select().from(tasks).where(inArray(tasks.id, answered.map((r) => r.task.id)));
    const byId = new Map(stored.map((t) => [t.id, t]));
    for (const { task } of answered) expect(task).toEqual(byId.get(task.id)!);
    const seqs = answered.filter((r) => r.created).map((r) => r.task.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  // The rows travel as array literals (row-columns.ts): quotes, backslashes, braces, commas, spaces and
  // the word NULL inside a value must come back as sent, in every kind of column.
  test("stores text that array literals treat specially exactly as sent", async () => {
    const awkward = ['say "hi"', "back\\slash\\", "{a,b}", "NULL", " padded ", "new\nline\ttab", "ünïcødé ✓ 𝄞", "'single'", ",", '\\"'];
    const items = awkward.map((text, i) =>
      newTask({
        name: `${i}: ${text}`, command: text, env: { [`V${i}`]: text }, queue: `q-${i}`, labels: { note: text }, selector: { tag: text },
        concurrencyKey: text, idempotencyKey: `key ${i} ${text}`, createdBy: text,
      }),
    );
    const answered = (await insertTasks(d.db, items)).map((r) => r.task);
    const stored = await d.db.select().from(tasks).where(inArray(tasks.id, answered.map((t) => t.id)));
    const byId = new Map(stored.map((t) => [t.id, t]));
    awkward.forEach((text, i) => {
      const row = byId.get(answered[i]!.id)!;
      expect(answered[i]).toEqual(row);
      expect([row.name, row.command, row.env, row.labels, row.selector, row.concurrencyKey, row.idempotencyKey, row.createdBy]).toEqual([
        `${i}: ${text}`, text, { [`V${i}`]: text }, { note: text }, { tag: text }, text, `key ${i} ${text}`, text,
      ]);
    });
  });
});
