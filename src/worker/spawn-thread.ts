/**
 * Spawn thread: the entry of a Bun Worker thread that runs task processes with
 * `runProcess`, so the vfork wait of each spawn blocks this thread instead of the
 * worker's event loop (see spawn-pool.ts). The main thread sends start, cancel and
 * kill (in arrays, one per burst); this thread answers ready once, then started and done per attempt.
 *
 * `bun build --compile` must list this file as an extra entrypoint (package.json's
 * "build" script): a compiled binary holds only the entrypoints it was given.
 */
import { runProcess, type OutputStreamName, type ProcessHandle, type ProcessResult, type RunProcessOptions } from "./process-runner.ts";

/** Start options as they cross threads: no functions; `live` asks for output pieces. */
export type ThreadStartOptions = Omit<RunProcessOptions, "onOutput"> & { live: boolean };

/** Pieces of output of the thread's attempts, posted together. */
export interface OutputPiece {
  id: number;
  stream: OutputStreamName;
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

/** Output is posted at most this often, or once this many bytes wait: one post per burst, not per read. */
const OUTPUT_POST_MS = 20;
const OUTPUT_POST_BYTES = 32 * 1024;

declare const self: Worker;

const running = new Map<number, ProcessHandle>();

function post(message: FromThread, transfer: Transferable[] = []): void {
  self.postMessage(message, transfer);
}

let pieces: OutputPiece[] = [];
let pieceBytes = 0;
let outputTimer: Timer | undefined;

function postOutput(): void {
  clearTimeout(outputTimer);
  outputTimer = undefined;
  if (pieces.length === 0) return;
  const batch = pieces;
  pieces = [];
  pieceBytes = 0;
  post({ type: "output", pieces: batch });
}

function onOutput(id: number, stream: OutputStreamName, data: Uint8Array): void {
  pieces.push({ id, stream, data });
  pieceBytes += data.length;
  if (pieceBytes >= OUTPUT_POST_BYTES) postOutput();
  else outputTimer ??= setTimeout(postOutput, OUTPUT_POST_MS);
}

function start(id: number, { live, ...opts }: ThreadStartOptions): void {
  const run = runProcess(live ? { ...opts, onOutput: (stream, data) => onOutput(id, stream, data) } : opts);
  running.set(id, run);
  post({ type: "started", id, pid: run.pid, startedAt: run.startedAt });
  void run.done.then((result) => {
    running.delete(id);
    // Its output goes before its end.
    postOutput();
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
