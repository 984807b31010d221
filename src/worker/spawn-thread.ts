/**
 * Spawn thread: the entry of a Bun Worker thread that runs task processes with
 * `runProcess`, so the vfork wait of each spawn blocks this thread instead of the
 * worker's event loop (see spawn-pool.ts). The main thread sends start, cancel and
 * kill (in arrays, one per burst); this thread answers ready once, then started and done per
 * attempt, also in arrays, one per burst.
 *
 * `bun build --compile` must list this file as an extra entrypoint (package.json's
 * "build" script): a compiled binary holds only the entrypoints it was given.
 */
import { BurstPost } from "./burst-post.ts";
import { OutputSpool } from "./output-spool.ts";
import { runProcess, type OutputStreamName, type ProcessHandle, type ProcessResult, type RunProcessOptions } from "./process-runner.ts";

/** Start options as they cross threads: no functions; `live` asks for output pieces. */
export type ThreadStartOptions = Omit<RunProcessOptions, "onOutput"> & { live: boolean };

/** Output of one of the thread's attempts, posted together with the others'. */
export interface OutputPiece {
  id: number;
  stream: OutputStreamName;
  /** Offset of data[0] in the stream's whole output: past the previous piece's end when bytes were dropped here. */
  offset: number;
  data: Uint8Array;
}

export type ToThread =
  | { type: "start"; id: number; opts: ThreadStartOptions }
  | { type: "cancel" | "kill"; id: number; reason: string };

export type FromThread =
  | { type: "ready" }
  | { type: "started"; id: number; pid: number; startedAt: number }
  | { type: "output"; pieces: OutputPiece[] }
  | { type: "done"; id: number; result: ProcessResult };

/** Output is posted this often, one post for every attempt's output: a post per read would cost the main thread dearly. */
const OUTPUT_POST_MS = 20;
/**
 * What one stream of one attempt may post per OUTPUT_POST_MS (12.8 MB/s): past it the
 * spool here drops the middle (head and tail kept, offsets show the gap), so a task
 * printing as fast as it can never floods the main thread or grows this one.
 */
const OUTPUT_SPOOL_BYTES = 256 * 1024;

declare const self: Worker;

const running = new Map<number, ProcessHandle>();

/**
 * Messages for the main thread go out once per burst, as one array (as the main thread sends
 * its own): the starts of one batch of dispatches report together, and an attempt's last
 * output goes with its end.
 */
const toMain = new BurstPost<FromThread>((batch, transfer) => self.postMessage(batch, transfer));

function post(message: FromThread, transfer: Transferable[] = []): void {
  toMain.post(message, transfer);
}

/** Unposted output by attempt id and stream. */
const spools = new Map<number, Record<OutputStreamName, OutputSpool>>();
let outputTimer: Timer | undefined;

function postOutput(): void {
  clearTimeout(outputTimer);
  outputTimer = undefined;
  const pieces: OutputPiece[] = [];
  for (const [id, streams] of spools) {
    for (const stream of ["stdout", "stderr"] as const) {
      for (const c of streams[stream].take()) pieces.push({ id, stream, offset: c.offset, data: c.data });
    }
  }
  if (pieces.length > 0) post({ type: "output", pieces });
}

function onOutput(id: number, stream: OutputStreamName, data: Uint8Array): void {
  let streams = spools.get(id);
  if (!streams) spools.set(id, (streams = { stdout: new OutputSpool(OUTPUT_SPOOL_BYTES), stderr: new OutputSpool(OUTPUT_SPOOL_BYTES) }));
  streams[stream].write(data);
  outputTimer ??= setTimeout(postOutput, OUTPUT_POST_MS);
}

function start(id: number, { live, ...opts }: ThreadStartOptions): void {
  const run = runProcess(live ? { ...opts, onOutput: (stream, data) => onOutput(id, stream, data) } : opts);
  running.set(id, run);
  post({ type: "started", id, pid: run.pid, startedAt: run.startedAt });
  void run.done.then((result) => {
    running.delete(id);
    // Its output goes before its end.
    postOutput();
    spools.delete(id);
    // The tails are fresh copies: hand their memory over instead of copying it again.
    post({ type: "done", id, result }, [result.stdoutTail.buffer, result.stderrTail.buffer] as ArrayBuffer[]);
  });
}

// Posted before any start is handled, so a thread that never said ready never spawned anything.
post({ type: "ready" });

// The pool sends its messages in bursts, as arrays (see SpawnThread#post).
self.onmessage = ({ data }: MessageEvent<ToThread[]>) => {
  for (const m of data) {
    if (m.type === "start") start(m.id, m.opts);
    else running.get(m.id)?.[m.type](m.reason);
  }
};
