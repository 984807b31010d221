import { expect, test } from "bun:test";
import { MicroBatcher } from "./micro-batcher.ts";

test("the first item flushes alone; items arriving during a flush go out together, in order", async () => {
  const batches: number[][] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const b = new MicroBatcher<number, number>(async (items) => {
    batches.push(items);
    if (batches.length === 1) await gate;
    return items.map((i) => i * 10);
  }, { maxBatch: 100 });
  const first = b.add(1);
  const rest = [2, 3, 4].map((i) => b.add(i));
  release();
  expect(await first).toBe(10);
  expect(await Promise.all(rest)).toEqual([20, 30, 40]);
  expect(batches).toEqual([[1], [2, 3, 4]]);
});

test("batches are capped at maxBatch", async () => {
  const sizes: number[] = [];
  const b = new MicroBatcher<number, number>(async (items) => (sizes.push(items.length), items), { maxBatch: 3 });
  await Promise.all(Array.from({ length: 8 }, (_, i) => b.add(i)));
  expect(sizes.every((s) => s <= 3)).toBe(true);
  expect(sizes.reduce((a, c) => a + c, 0)).toBe(8);
});

test("a failed flush is retried, not dropped", async () => {
  let calls = 0;
  const retries: number[] = [];
  const b = new MicroBatcher<string, string>(async (items) => {
    if (++calls < 3) throw new Error("database down");
    return items.map((s) => s.toUpperCase());
  }, { maxBatch: 10, onRetry: (_, n) => retries.push(n) });
  expect(await b.add("x")).toBe("X");
  expect(retries).toEqual([1, 2]);
  expect(await b.idle(1000)).toBe(true);
});

test("close rejects waiting items", async () => {
  const b = new MicroBatcher<number, number>(async () => {
    throw new Error("down");
  }, { maxBatch: 10 });
  const p = b.add(1);
  b.close();
  await expect(p).rejects.toThrow("batcher closed");
});
