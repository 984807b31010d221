import { expect, test } from "bun:test";
import type { TaskRow } from "../../db/schema/index.ts";
import { roleLogger } from "../../log/logger.ts";
import type { ChangeFeed, FeedBatch, FeedListener, SubscribeOptions } from "../live/change-feed.ts";
import type { MetricsJson } from "../metrics/metrics-json.ts";
import { eventStreamResponse } from "./event-stream.ts";
import { MetricsTicker } from "./metrics-ticker.ts";

/** A feed stand-in: keeps `history`, replays after a seq, and lets the test publish. */
class FakeFeed {
  readonly epoch = "e1";
  readonly listeners = new Set<FeedListener>();
  readonly history: FeedBatch[] = [];
  get lastSeq() {
    return this.history.at(-1)?.seq ?? 0;
  }
  subscribe(l: FeedListener, { afterSeq }: SubscribeOptions = {}) {
    if (afterSeq !== undefined) for (const b of this.history) if (b.seq > afterSeq) l(b);
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  publish(events: number, name = "x", rowsLoaded = true) {
    const seq = this.lastSeq + 1;
    const row = { id: "t", name, queue: "default", status: "scheduled", env: {}, command: "c" } as unknown as TaskRow;
    const batch: FeedBatch = { seq, taskChanges: Array.from({ length: events }, () => ({ id: "t", status: "scheduled", attempt: 0 })), tasks: rowsLoaded ? new Map([["t", row]]) : new Map(), failures: new Map(), workerChanges: [], workers: new Map(), scheduleChanges: [], rowsLoaded };
    this.history.push(batch);
    for (const l of this.listeners) l(batch);
  }
}

const log = roleLogger("test");
const deps = (feed: FakeFeed) => ({
  feed: feed as unknown as ChangeFeed,
  ticker: new MetricsTicker(async () => ({}) as MetricsJson, log, 60_000),
  metricsNow: () => new Promise<MetricsJson>(() => {}),
  log,
});

async function readAll(stream: ReadableStream<Uint8Array>, until: (text: string) => boolean): Promise<string> {
  const reader = stream.getReader();
  let text = "";
  while (!until(text)) {
    const { done, value } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  await reader.cancel();
  return text;
}

test("a resume that would replay more than the replay cap sends reset instead of the flood", async () => {
  const feed = new FakeFeed();
  feed.publish(1);
  for (let i = 0; i < 40; i++) feed.publish(200, "n".repeat(200));
  const text = await readAll(eventStreamResponse(deps(feed), "e1-1-0").body!, (t) => t.includes("event: reset"));
  expect(text).toContain("event: reset");
  expect(text).not.toContain("event: task");
  expect(feed.listeners.size).toBe(0);
});

test("a client that stops reading is cut off past the backlog cap and unsubscribed", async () => {
  const feed = new FakeFeed();
  const stream = eventStreamResponse(deps(feed), null).body!;
  const reader = stream.getReader();
  await reader.read(); // the preamble
  expect(feed.listeners.size).toBe(1);
  for (let i = 0; i < 100 && feed.listeners.size > 0; i++) feed.publish(200, "n".repeat(500));
  expect(feed.listeners.size).toBe(0);
  await expect(reader.read()).rejects.toThrow("client too slow");
});

test("a resume whose kept batches lack the task rows (nobody read rows then) sends reset, not task: null", async () => {
  const feed = new FakeFeed();
  feed.publish(1);
  feed.publish(1, "x", false);
  const text = await readAll(eventStreamResponse(deps(feed), "e1-1-0").body!, (t) => t.includes("event: reset"));
  expect(text).toContain("event: reset");
  expect(text).not.toContain("event: task");
});

test("a resume whose kept batches have their rows replays the events after Last-Event-ID", async () => {
  const feed = new FakeFeed();
  feed.publish(2);
  feed.publish(1, "later");
  const text = await readAll(eventStreamResponse(deps(feed), "e1-1-0").body!, (t) => t.includes("later"));
  expect(text).not.toContain("event: reset");
  expect(text).toContain("id: e1-1-1\nevent: task");
  expect(text).toContain("id: e1-2-0\nevent: task");
});
