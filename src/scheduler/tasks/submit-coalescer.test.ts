import { expect, test } from "bun:test";
import type { InsertedTask, NewTask } from "../../db/queries/insert-tasks.ts";
import type { TaskRow } from "../../db/schema/index.ts";
import { SubmitCoalescer } from "./submit-coalescer.ts";

/** An insert whose calls finish only when the test says so. */
function heldInsert(fails: (t: NewTask) => boolean = () => false) {
  const calls: { names: string[]; finish: () => void }[] = [];
  const insert = (items: NewTask[]) =>
    new Promise<InsertedTask[]>((resolve, reject) => {
      calls.push({
        names: items.map((t) => t.name),
        finish: () => (items.some(fails) ? reject(new Error("bad task")) : resolve(items.map((t) => ({ task: { name: t.name } as TaskRow, created: true })))),
      });
    });
  return { calls, insert };
}

const task = (name: string) => ({ name }) as NewTask;
const settle = () => Bun.sleep(0);

test("a lone submission is inserted at once; those arriving while all inserts run share the next one", async () => {
  const { calls, insert } = heldInsert();
  const c = new SubmitCoalescer(insert, { maxInFlight: 2, maxBatch: 1000 });
  const answers = ["a", "b", "c", "d", "e"].map((n) => c.submit(task(n)));
  expect(calls.map((x) => x.names)).toEqual([["a"], ["b"]]);
  calls[0]!.finish();
  await settle();
  expect(calls.map((x) => x.names)).toEqual([["a"], ["b"], ["c", "d", "e"]]);
  calls[1]!.finish();
  calls[2]!.finish();
  expect((await Promise.all(answers)).map((r) => r.task.name)).toEqual(["a", "b", "c", "d", "e"]);
});

test("no insert carries more than maxBatch submissions", async () => {
  const { calls, insert } = heldInsert();
  const c = new SubmitCoalescer(insert, { maxInFlight: 1, maxBatch: 2 });
  const answers = ["a", "b", "c", "d", "e"].map((n) => c.submit(task(n)));
  for (let i = 0; i < 2; i++) {
    calls[i]!.finish();
    await settle();
  }
  expect(calls.map((x) => x.names)).toEqual([["a"], ["b", "c"], ["d", "e"]]);
  calls[2]!.finish();
  expect(await Promise.all(answers)).toHaveLength(5);
});

test("when a shared insert fails, each submission is tried alone and only the bad one fails", async () => {
  const { calls, insert } = heldInsert((t) => t.name === "bad");
  const c = new SubmitCoalescer(insert, { maxInFlight: 1, maxBatch: 1000 });
  const first = c.submit(task("first"));
  const shared = ["ok1", "bad", "ok2"].map((n) => c.submit(task(n)));
  calls[0]!.finish();
  await settle();
  expect(calls[1]!.names).toEqual(["ok1", "bad", "ok2"]);
  calls[1]!.finish();
  await settle();
  expect(calls.slice(2).map((x) => x.names)).toEqual([["ok1"], ["bad"], ["ok2"]]);
  for (const call of calls.slice(2)) call.finish();
  const [ok1, bad, ok2] = await Promise.allSettled(shared);
  expect(ok1).toMatchObject({ status: "fulfilled", value: { task: { name: "ok1" } } });
  expect(bad).toMatchObject({ status: "rejected", reason: new Error("bad task") });
  expect(ok2).toMatchObject({ status: "fulfilled", value: { task: { name: "ok2" } } });
  expect((await first).task.name).toBe("first");
});
