import { expect, test } from "bun:test";
import { getLogger } from "@logtape/logtape";
import type { ConnectServerStream } from "../../proto/index.ts";
import { DRAIN_REQUEST_SETTLE_MS, WorkerSession } from "./worker-session.ts";

function session(): { s: WorkerSession; sent: unknown[] } {
  const sent: unknown[] = [];
  const stream = { destroyed: false, cancelled: false, write: (m: unknown) => sent.push(m) } as unknown as ConnectServerStream;
  return { s: new WorkerSession("w", "w1", ["default"], 2, stream, getLogger(["test"])), sent };
}

test("a drain stops dispatch at once; heartbeats written before the worker read it do not undo it", () => {
  const { s, sent } = session();
  s.drain("drained by api");
  expect(sent).toEqual([{ drain: { reason: "drained by api" } }]);
  expect(s.free).toBe(0);
  const t0 = s.drainRequest!.at;
  expect(s.drainingFromHeartbeat(false, t0 + 10)).toBe(true);
  // The worker's answer settles it.
  expect(s.drainingFromHeartbeat(true, t0 + 20)).toBe(true);
  expect(s.drainRequest).toBeNull();
});

test("a resume overrides heartbeats sent before the worker read it; a worker that stays drained (stopping) wins after the settle time", () => {
  const { s, sent } = session();
  s.draining = true;
  s.resume("resumed by api");
  expect(sent).toEqual([{ resume: { reason: "resumed by api" } }]);
  const t0 = s.drainRequest!.at;
  expect(s.drainingFromHeartbeat(true, t0 + 10)).toBe(false);
  expect(s.drainingFromHeartbeat(true, t0 + DRAIN_REQUEST_SETTLE_MS + 1)).toBe(true);
  expect(s.drainRequest).toBeNull();
  // Without a request, the heartbeat's flag is the truth (a SIGTERM drain).
  expect(s.drainingFromHeartbeat(false)).toBe(false);
});
