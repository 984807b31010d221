import { describe, expect, test } from "bun:test";
import { CHUNK_MAX_BYTES, OutputSpool } from "./output-spool.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("OutputSpool", () => {
  test("joins adjacent writes into one chunk at its offset", () => {
    const spool = new OutputSpool(64);
    spool.write(bytes("a\n"));
    spool.write(bytes("b\n"));
    expect(spool.take().map((c) => [c.offset, text(c.data), c.droppedBefore])).toEqual([[0, "a\nb\n", 0]]);
    spool.write(bytes("c\n"));
    expect(spool.take().map((c) => [c.offset, text(c.data), c.droppedBefore])).toEqual([[4, "c\n", 0]]);
    expect(spool.pendingBytes).toBe(0);
  });

  test("past its capacity keeps head and tail and counts the dropped middle", () => {
    const spool = new OutputSpool(8);
    spool.write(bytes("0123456789ab"));
    expect(spool.pendingBytes).toBe(8);
    expect(spool.droppedBytes).toBe(4);
    const chunks = spool.take();
    expect(chunks.map((c) => [c.offset, text(c.data), c.droppedBefore])).toEqual([
      [0, "0123", 0],
      [8, "89ab", 4],
    ]);
    // More writes after a take continue at the right offset.
    spool.write(bytes("cd"));
    expect(spool.take().map((c) => [c.offset, text(c.data), c.droppedBefore])).toEqual([[12, "cd", 0]]);
  });

  test("many small writes past capacity stay bounded and keep the newest bytes", () => {
    const spool = new OutputSpool(100);
    for (let i = 0; i < 10_000; i++) spool.write(bytes(`${String(i).padStart(5, "0")}\n`));
    expect(spool.pendingBytes).toBeLessThanOrEqual(100);
    const chunks = spool.take();
    const all = chunks.map((c) => text(c.data)).join("");
    expect(all.startsWith("00000\n")).toBe(true);
    expect(all.endsWith("09999\n")).toBe(true);
    const kept = chunks.reduce((n, c) => n + c.data.length, 0);
    expect(kept + spool.droppedBytes).toBe(60_000);
    expect(chunks.reduce((n, c) => n + c.droppedBefore, 0)).toBe(spool.droppedBytes);
  });

  test("splits big writes into chunks of at most CHUNK_MAX_BYTES", () => {
    const spool = new OutputSpool(1024 * 1024);
    spool.write(new Uint8Array(CHUNK_MAX_BYTES * 2 + 5));
    const chunks = spool.take();
    expect(chunks.map((c) => [c.offset, c.data.length])).toEqual([
      [0, CHUNK_MAX_BYTES],
      [CHUNK_MAX_BYTES, CHUNK_MAX_BYTES],
      [CHUNK_MAX_BYTES * 2, 5],
    ]);
  });
});

test("a write at an offset past the end counts the gap as dropped", () => {
  const spool = new OutputSpool(64);
  spool.write(bytes("ab"));
  spool.write(bytes("yz"), 10);
  expect(spool.droppedBytes).toBe(8);
  expect(spool.take().map((c) => [c.offset, text(c.data), c.droppedBefore])).toEqual([
    [0, "ab", 0],
    [10, "yz", 8],
  ]);
});
