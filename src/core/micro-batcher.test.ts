import { expect, test } from "bun:test";
import { waitFor } from "../../test/support/processes.ts";
import { MicroBatcher } from "./micro-batcher.ts";

/** A batcher whose first flush waits for `release`, so later items stay queued meanwhile. */
function heldBatcher(maxBatch: number) {
  const batches: number[][] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const b = new MicroBatcher<number, number>(async (items) => {
    batches.push(items);
    if (batches.length === 1) await gate;
    return items.map((i) => i * 10);
  }, { maxBatch });
  return { b, batches, release: () => release() };
}

test("the first item flushes alone; items arriving during a flush go out together, in order", async () => {
  const { b, batches, release } = heldBatcher(100);
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

test("with maxInFlight 2, a second item flushes at once beside the first; later ones wait and go out together", async () => {
  const batches: number[][] = [];
  const gates: (() => void)[] = [];
  const b = new MicroBatcher<number, number>(async (items) => {
    batches.push(items);
    await new Promise<void>((r) => gates.push(r));
    return items;
  }, { maxBatch: 100, maxInFlight: 2 });
  const all = [1, 2, 3, 4].map((i) => b.add(i));
  expect(batches).toEqual([[1], [2]]);
  expect(b.pending).toBe(4);
  gates[1]!();
  expect(await all[1]).toBe(2);
  await waitFor("the next flush", () => batches.length === 3);
  expect(batches).toEqual([[1], [2], [3, 4]]);
  gates[0]!();
  gates[2]!();
  expect(await Promise.all(all)).toEqual([1, 2, 3, 4]);
  expect(await b.idle(1000)).toBe(true);
  expect(b.pending).toBe(0);
});

test("close also rejects items whose flush is still retrying", async () => {
  const b = new MicroBatcher<number, number>(async () => {
    throw new Error("down");
  }, { maxBatch: 10, maxInFlight: 2 });
  const first = b.add(1);
  const second = b.add(2);
  b.close();
  await expect(first).rejects.toThrow("batcher closed");
  await expect(second).rejects.toThrow("batcher closed");
  expect(await b.idle(1000)).toBe(true);
});

test("addAll: items added together share one flush", async () => {
  const batches: number[][] = [];
  const b = new MicroBatcher(async (items: number[]) => {
    batches.push(items);
    return items.map((i) => i * 2);
  }, { maxBatch: 10 });
  expect(await Promise.all(b.addAll([1, 2, 3]))).toEqual([2, 4, 6]);
  expect(batches).toEqual([[1, 2, 3]]);
});

test("withdraw takes back a waiting item: the others flush in order without it, and its promise is the caller's to settle", async () => {
  const { b, batches, release } = heldBatcher(100);
  const first = b.add(0);
  const promises = [1, 2, 3, 4].map((i) => b.add(i));
  expect(b.pending).toBe(5);
  const taken = b.withdraw(2)!;
  expect(taken).not.toBeNull();
  expect(b.pending).toBe(4);
  expect(b.withdraw(2)).toBeNull(); // once only
  taken.resolve(-1);
  release();
  expect(await first).toBe(0);
  expect(await Promise.all(promises)).toEqual([10, -1, 30, 40]);
  expect(batches).toEqual([[0], [1, 3, 4]]);
  expect(b.pending).toBe(0);
});

test("withdraw answers null for an item being written or already written, which then settles as usual", async () => {
  const { b, release } = heldBatcher(100);
  const writing = b.add(7);
  expect(b.withdraw(7)).toBeNull();
  release();
  expect(await writing).toBe(70);
  expect(b.withdraw(7)).toBeNull();
  expect(b.withdraw(8)).toBeNull();
});

test("an item added twice is withdrawn where it was added first; the second copy still flushes", async () => {
  const { b, batches, release } = heldBatcher(100);
  void b.add(0);
  const p1 = b.add(5);
  const p2 = b.add(6);
  const p3 = b.add(5);
  const taken = b.withdraw(5)!;
  taken.reject(new Error("taken"));
  await expect(p1).rejects.toThrow("taken");
  release();
  expect(await Promise.all([p2, p3])).toEqual([60, 50]);
  expect(batches[1]).toEqual([6, 5]);
});

test("thousands queued, most withdrawn from the middle: the rest flush in order, capped at maxBatch, none lost", async () => {
  const { b, batches, release } = heldBatcher(256);
  void b.add(-1);
  const n = 5000;
  const promises = Array.from({ length: n }, (_, i) => b.add(i));
  const kept: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 3 === 0) kept.push(i);
    else b.withdraw(i)!.resolve(-i);
  }
  expect(b.pending).toBe(kept.length + 1);
  release();
  const results = await Promise.all(promises);
  expect(results.filter((_, i) => i % 3 === 0)).toEqual(kept.map((i) => i * 10));
  const flushed = batches.slice(1);
  expect(flushed.every((batch) => batch.length <= 256)).toBe(true);
  expect(flushed.flat()).toEqual(kept);
  expect(await b.idle(1000)).toBe(true);
  expect(b.pending).toBe(0);
});

test("close rejects waiting items but not withdrawn ones", async () => {
  const { b } = heldBatcher(100);
  void b.add(0).catch(() => {});
  const waiting = b.add(1);
  const withdrawn = b.add(2);
  const taken = b.withdraw(2)!;
  b.close();
  await expect(waiting).rejects.toThrow("batcher closed");
  taken.resolve(20);
  expect(await withdrawn).toBe(20);
});
