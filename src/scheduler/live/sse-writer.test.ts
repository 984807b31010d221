import { expect, test } from "bun:test";
import { waitFor } from "../../../test/support/processes.ts";
import { formatEvent, sseResponse } from "./sse-writer.ts";

test("each line of a multi-line payload gets its own data: line; ids and names stay on one line", () => {
  expect(formatEvent("rows", "<tr>\n  <td>a</td>\r\n</tr>", "e-1")).toBe("id: e-1\nevent: rows\ndata: <tr>\ndata:   <td>a</td>\ndata: </tr>\n\n");
  expect(formatEvent("a\nb", "x")).toBe("event: ab\ndata: x\n\n");
});

async function readUntil(res: Response, done: (text: string) => boolean): Promise<string> {
  const reader = res.body!.getReader();
  let text = "";
  while (!done(text)) {
    const { value, done: end } = await reader.read();
    if (end) break;
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return text;
}

test("headers, retry hint, events, keep-alive comments; the cleanup runs once when the client leaves", async () => {
  const abort = new AbortController();
  let cleanups = 0;
  const res = sseResponse(
    (sink) => {
      sink.send("hello", "a\nb", "1");
      return () => cleanups++;
    },
    { signal: abort.signal, keepAliveMs: 20 },
  );
  expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
  expect(res.headers.get("cache-control")).toBe("no-cache, no-transform");
  expect(res.headers.get("x-accel-buffering")).toBe("no");
  const text = await readUntil(res, (t) => t.includes(": keepalive"));
  expect(text).toStartWith("retry: 2000\n\nid: 1\nevent: hello\ndata: a\ndata: b\n\n");
  abort.abort();
  await waitFor("cleanup", () => cleanups === 1);
  abort.abort();
  expect(cleanups).toBe(1);
});

test("a client that stops reading is cut off instead of buffering without end", async () => {
  let cleanups = 0;
  let sent = 0;
  const res = sseResponse(
    (sink) => {
      const big = "x".repeat(1000);
      while (sink.send("e", big)) sent++;
      return () => cleanups++;
    },
    { maxBufferedBytes: 10_000 },
  );
  expect(sent).toBeLessThan(12);
  expect(cleanups).toBe(1);
  // What was queued is dropped and the stream ends in an error: the browser reconnects and resumes.
  await expect(new Response(res.body).text()).rejects.toThrow("client too slow");
});
