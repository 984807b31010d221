import { expect, test } from "bun:test";
import { roleLogger } from "../../log/logger.ts";
import type { FeedBatch, FeedListener } from "../live/change-feed.ts";
import { waitFor } from "../../../test/support/processes.ts";
import { LiveSnapshot } from "./live-snapshot.ts";

class FakeFeed {
  listeners = new Set<FeedListener>();
  seq = 0;
  get lastSeq() {
    return this.seq;
  }
  subscribe(l: FeedListener) {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  publish() {
    const b: FeedBatch = { seq: ++this.seq, taskChanges: [{ id: "t", status: "running", attempt: 1 }], tasks: new Map(), failures: new Map(), workerChanges: [], workers: new Map(), scheduleChanges: [], rowsLoaded: false };
    for (const l of this.listeners) l(b);
  }
}

function snapshot(feed: FakeFeed, minIntervalMs = 200, refreshMs = 60_000) {
  let n = 0;
  const s = new LiveSnapshot<number>({
    load: async () => ++n,
    minIntervalMs,
    refreshMs,
    affectedBy: (b) => b.taskChanges.length > 0,
    feed,
    log: roleLogger("test"),
  });
  return s;
}

test("100 watchers and a burst of 200 changes cost a couple of loads, and every watcher sees the latest value", async () => {
  const feed = new FakeFeed();
  const s = snapshot(feed);
  const seen: number[][] = Array.from({ length: 100 }, () => []);
  const offs = seen.map((list) => s.subscribe((v) => list.push(v)));
  expect(feed.listeners.size).toBe(1);
  await Promise.all(Array.from({ length: 100 }, () => s.latest()));
  expect(s.loads).toBe(1);
  for (let i = 0; i < 200; i++) feed.publish();
  await waitFor("a publish", () => seen.every((l) => l.length > 0));
  expect(s.loads).toBeLessThanOrEqual(2);
  expect(new Set(seen.map((l) => l.at(-1))).size).toBe(1);
  for (const off of offs) off();
  expect(s.watchers).toBe(0);
  expect(feed.listeners.size).toBe(0);
});

test("loads at most once per interval under a steady stream of changes", async () => {
  const feed = new FakeFeed();
  const s = snapshot(feed, 100);
  const off = s.subscribe(() => {});
  const started = Date.now();
  while (Date.now() - started < 550) {
    feed.publish();
    await Bun.sleep(5);
  }
  off();
  // ~550 ms at one load per 100 ms: 6 or 7 loads, never one per change (~100).
  expect(s.loads).toBeGreaterThanOrEqual(3);
  expect(s.loads).toBeLessThanOrEqual(7);
});

test("a change during a load is not lost: another load follows", async () => {
  const feed = new FakeFeed();
  let release!: () => void;
  let n = 0;
  const s = new LiveSnapshot<number>({
    load: async () => {
      const v = ++n;
      if (v === 1) await new Promise<void>((r) => (release = r));
      return v;
    },
    minIntervalMs: 20,
    refreshMs: 60_000,
    affectedBy: () => true,
    feed,
    log: roleLogger("test"),
  });
  const seen: number[] = [];
  s.subscribe((v) => seen.push(v));
  const first = s.current();
  feed.publish();
  await Bun.sleep(30);
  release();
  expect(await first).toBe(1);
  await waitFor("the load after the change", () => seen.includes(2));
});

test("with no watcher the feed is not followed; pages load fresh, sharing concurrent loads", async () => {
  const feed = new FakeFeed();
  const s = snapshot(feed, 1000, 20);
  expect(await Promise.all([s.current(), s.current()])).toEqual([1, 1]);
  expect(await s.current()).toBe(2);
  await Bun.sleep(60);
  expect(s.loads).toBe(2);
  expect(feed.listeners.size).toBe(0);
  // A stream's first update is throttled: the value is under a second old.
  expect(await s.latest()).toBe(2);
  expect(s.loads).toBe(2);
});

test("a stream connecting after an unwatched change gets the cached value now and a fresh one right after", async () => {
  const feed = new FakeFeed();
  const s = snapshot(feed, 50);
  expect(await s.current()).toBe(1);
  feed.publish();
  const seen: number[] = [];
  s.subscribe((v) => seen.push(v));
  expect(await s.latest()).toBe(1);
  await waitFor("the fresh value", () => seen.includes(2));
  expect(s.loads).toBe(2);
});

test("while watched, it refreshes on its own every refreshMs", async () => {
  const feed = new FakeFeed();
  const s = snapshot(feed, 10, 30);
  const seen: number[] = [];
  const off = s.subscribe((v) => seen.push(v));
  await waitFor("two refreshes", () => seen.length >= 2, 2000);
  off();
});
