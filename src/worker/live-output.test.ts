import { describe, expect, test } from "bun:test";
import type { TaskOutput } from "../proto/index.ts";
import { BATCH_MS, LiveOutput } from "./live-output.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

function link(state = { ready: true, writable: true }) {
  const sent: TaskOutput[] = [];
  return { sent, state, link: { send: (o: TaskOutput) => (sent.push(o), true), ready: () => state.ready, writable: () => state.ready && state.writable } };
}

describe("LiveOutput", () => {
  test("lines written within one batch interval go up as one message", async () => {
    const l = link();
    const out = new LiveOutput(l.link);
    for (let i = 0; i < 5; i++) out.write("t1", 1, "stdout", bytes(`line ${i}\n`));
    out.write("t1", 1, "stderr", bytes("oops\n"));
    expect(l.sent).toHaveLength(0);
    await Bun.sleep(BATCH_MS * 3);
    expect(l.sent).toHaveLength(1);
    const chunks = l.sent[0]!.chunks!;
    expect(chunks.map((c) => [c.stream, c.seq, c.offset])).toEqual([
      ["OUTPUT_STREAM_STDOUT", 1, 0],
      ["OUTPUT_STREAM_STDERR", 1, 0],
    ]);
    expect(new TextDecoder().decode(chunks[0]!.data as Uint8Array)).toBe("line 0\nline 1\nline 2\nline 3\nline 4\n");
    out.close();
  });

  test("holds output in bounded memory while the stream is congested, then sends head and tail with the gap", async () => {
    const l = link({ ready: true, writable: false });
    const out = new LiveOutput(l.link, 1000);
    for (let i = 0; i < 1000; i++) out.write("t1", 1, "stdout", bytes(`${String(i).padStart(9, "0")}\n`));
    await Bun.sleep(BATCH_MS * 2);
    expect(l.sent).toHaveLength(0);
    expect(out.pendingBytes).toBeLessThanOrEqual(1000);
    // The attempt ends: its output goes even into a congested stream, ahead of its result.
    out.end("t1", 1);
    const chunks = l.sent.flatMap((m) => m.chunks!);
    expect(chunks).toHaveLength(2);
    expect(chunks[1]!.dropped_bytes).toBe(10_000 - 1000);
    expect(new TextDecoder().decode(chunks[1]!.data as Uint8Array).endsWith("000000999\n")).toBe(true);
    expect(out.size).toBe(0);
    out.close();
  });

  test("nothing is sent while no stream is ready; the output waits for it", async () => {
    const l = link({ ready: false, writable: false });
    const out = new LiveOutput(l.link);
    out.write("t1", 1, "stdout", bytes("kept\n"));
    out.end("t1", 1);
    expect(l.sent).toHaveLength(0);
    l.state.ready = true;
    l.state.writable = true;
    expect(out.flush(true)).toBe(true);
    expect(l.sent.flatMap((m) => m.chunks!).map((c) => c.offset)).toEqual([0]);
    out.close();
  });
});
