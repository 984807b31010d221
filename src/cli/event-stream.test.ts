import { expect, test } from "bun:test";
import { readSse, type SseMessage } from "./event-stream.ts";

test("readSse: events split across chunks, ids, comments and retry lines skipped, CRLF accepted", async () => {
  const chunks = ["retry: 2000\n: taskflow events\n\nid: a-1-0\nevent: ta", "sk\ndata: {\"id\":\"x\"}\n\n", "event: reset\r\ndata: {}\r\n\r\n", "data: one\ndata: two\n\n"];
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (const chunk of chunks) c.enqueue(new TextEncoder().encode(chunk));
      c.close();
    },
  });
  const got: SseMessage[] = [];
  for await (const m of readSse(body)) got.push(m);
  expect(got).toEqual([
    { id: "a-1-0", event: "task", data: '{"id":"x"}' },
    { id: null, event: "reset", data: "{}" },
    { id: null, event: "message", data: "one\ntwo" },
  ]);
});
