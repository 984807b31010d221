/**
 * Spawn thread: the entry of a Bun Worker thread that runs task processes with
 * `runProcess`, so the vfork wait of each spawn blocks this thread instead of the
 * worker's event loop (see spawn-pool.ts). The main thread sends start, cancel and
 * kill (in arrays, one per burst); this thread answers ready once, then started and done per attempt.
 *
 * `bun build --compile` must list this file as an extra entrypoint (package.json's
 * "build" script): a compiled binary holds only the entrypoints it was given.
 */
import { runProcess, type ProcessHandle, type ProcessResult, type RunProcessOptions } from "./process-runner.ts";

export type ToThread =
  | { type: "start"; id: number; opts: RunProcessOptions }
  | { type: "cancel" | "kill"; id: number; reason: string };

export type FromThread =
  | { type: "ready" }
  | { type: "started"; id: number; pid: number; startedAt: number }
  | { type: "done"; id: number; result: ProcessResult };

declare const self: Worker;

const running = new Map<number, ProcessHandle>();

function post(message: FromThread, transfer: Transferable[] = []): void {
  self.postMessage(message, transfer);
}

function start(id: number, opts: RunProcessOptions): void {
  const run = runProcess(opts);
  running.set(id, run);
  post({ type: "started", id, pid: run.pid, startedAt: run.startedAt });
  void run.done.then((result) => {
    running.delete(id);
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
