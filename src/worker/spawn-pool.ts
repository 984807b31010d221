/**
 * Spawn pool: runs task processes on a few Bun Worker threads (spawn-thread.ts).
 * Bun spawns with vfork, so the spawning thread waits until the child has exec'd:
 * 1.4–2.9 ms per task with setsid, during which a single-threaded worker (and, in
 * `--role=all`, the HTTP API and the coordinator) could do nothing else. Here the
 * main thread only posts "start" and hears back "started" (the pid) and "done"
 * (the outcome with the output tails), so its event loop never waits on a spawn.
 *
 * Threads start on demand: none until the first task, another only while every
 * thread has a spawn waiting, so an idle worker costs nothing and a worker running
 * one task at a time keeps one thread. A thread that dies takes its attempts with
 * it: their process groups are killed and they end as "lost"; the next task starts
 * a new thread. If threads cannot start at all, the pool logs a warning and spawns
 * on the main thread as before.
 */
import { BurstPost } from "./burst-post.ts";
import { coerceError } from "../core/errors.ts";
import { availableParallelism } from "node:os";
import { SHARE_ENV } from "node:worker_threads";
import { roleLogger, type Logger } from "../log/logger.ts";
import { runProcess, signalGroup, type ProcessHandle, type ProcessResult, type ProcessStart, type RunProcessOptions } from "./process-runner.ts";
import type { FromThread, ToThread } from "./spawn-thread.ts";
import { plural } from "../core/plural.ts";

/**
 * The most spawn threads: 4, or 2 on a single core. A spawn waits (in vfork) rather
 * than computes, so more threads than cores still pay: on 2 cores, setsid spawns of
 * `true` ran at 1,328/s on 2 threads and 1,808/s on 4, against ~1,100/s on one.
 * Each thread costs ~5 MB; lazy growth keeps a worker below this when its
 * --concurrency or its load never has that many spawns waiting at once.
 */
export const MAX_SPAWN_THREADS = availableParallelism() > 1 ? 4 : 2;
/** A thread that has not said ready by then is treated as one that cannot start. */
export const THREAD_READY_TIMEOUT_MS = 10_000;

/** Bun's Worker (ref, unref, close events); the DOM lib's global type lacks them. */
export type Thread = Bun.Worker;

export interface SpawnPoolOptions {
  maxThreads?: number;
  log?: Logger;
  /** Creates one thread; tests replace it to reach (and kill) the Worker. */
  createThread?: () => Thread;
}

/** Where this thread's entry is: beside this file from source, at its entrypoint path inside the compiled binary. */
export function spawnThreadUrl(): string {
  // In a binary built by `bun build --compile --root=. src/main.ts src/worker/spawn-thread.ts …`
  // (npm run build), import.meta.url is the bundle's (file:///$bunfs/root/taskflow) and each
  // entrypoint sits at its path below --root. Without --root that folder would be the
  // entrypoints' common one, which moved when the build gained an entrypoint outside src/.
  const compiled = import.meta.url.includes("/$bunfs/");
  return new URL(compiled ? "./src/worker/spawn-thread.ts" : "./spawn-thread.ts", import.meta.url).href;
}

export function newSpawnThread(): Thread {
  // SHARE_ENV: tasks inherit the worker's environment as it is now, as with an in-process spawn.
  return new Worker(spawnThreadUrl(), { smol: true, env: SHARE_ENV }) as unknown as Thread;
}

export class SpawnPool {
  #max: number;
  readonly #log: Logger;
  readonly #createThread: () => Thread;
  #threads: SpawnThread[] = [];
  #nextId = 1;
  /** Why threads are not used, once they could not start; every spawn is in-process from then on. */
  #fallback: string | null = null;

  constructor(opts: SpawnPoolOptions = {}) {
    this.#max = Math.max(1, opts.maxThreads ?? MAX_SPAWN_THREADS);
    this.#log = opts.log ?? roleLogger("worker", "spawn-pool");
    this.#createThread = opts.createThread ?? newSpawnThread;
  }

  /** Threads running now. */
  get threadCount(): number {
    return this.#threads.length;
  }

  /** True once threads could not start and spawns run on the calling thread. */
  get inProcess(): boolean {
    return this.#fallback !== null;
  }

  /** Starts `/bin/sh -c opts.command` on a spawn thread; same contract as runProcess, but the pid comes later. */
  start(opts: RunProcessOptions): ProcessHandle {
    const thread = this.#fallback === null ? this.#pickThread() : null;
    if (thread === null) return runProcess(opts);
    const attempt = new PooledProcess(opts);
    thread.run(this.#nextId++, attempt);
    return attempt;
  }

  /** Ends every thread; attempts still running on them end as lost. For tests and tools. */
  close(): void {
    for (const thread of this.#threads.splice(0)) {
      thread.end();
      for (const p of thread.attempts.values()) p.lose("the spawn pool was closed");
    }
  }

  /** The thread with the fewest spawns waiting; starts another while every one has some. */
  #pickThread(): SpawnThread | null {
    let best: SpawnThread | undefined;
    for (const t of this.#threads) if (best === undefined || t.spawning < best.spawning) best = t;
    if (best === undefined || (best.spawning > 0 && this.#threads.length < this.#max)) {
      const fresh = this.#startThread();
      // A busy warm thread usually beats waiting for a new one to boot; the new one takes the next task.
      if (best === undefined) return fresh;
    }
    return best;
  }

  #startThread(): SpawnThread | null {
    let worker: Thread;
    try {
      worker = this.#createThread();
    } catch (err) {
      const why = `could not create a thread: ${coerceError(err).message}`;
      if (this.#threads.length === 0) this.#fallBack(why);
      else {
        // The threads we have still work: keep them, grow no further.
        this.#max = this.#threads.length;
        this.#log.warn("running on {threads} only ({why})", { n: this.#max, threads: plural(this.#max, "spawn thread"), why });
      }
      return null;
    }
    const thread = new SpawnThread(worker, {
      ready: () => this.#log.debug("a spawn thread is ready ({n} running, at most {max})", { n: this.#threads.length, max: this.#max }),
      died: (t, why) => this.#threadDied(t, why),
    });
    this.#threads.push(thread);
    return thread;
  }

  #threadDied(thread: SpawnThread, why: string): void {
    if (thread.dead) return;
    thread.end();
    this.#threads = this.#threads.filter((t) => t !== thread);
    if (!thread.ready) {
      // It never said ready, so it never handled a start: run its attempts here instead.
      this.#fallBack(`a thread stopped before it was ready: ${why}`);
      for (const p of thread.attempts.values()) p.runLocally();
      return;
    }
    if (thread.attempts.size > 0) {
      this.#log.error("a spawn thread died ({why}): killing the {groups} it supervised, which end as lost", { why, n: thread.attempts.size, groups: plural(thread.attempts.size, "task process group") });
    }
    for (const p of thread.attempts.values()) p.lose(why);
  }

  #fallBack(why: string): void {
    if (this.#fallback !== null) return;
    this.#fallback = why;
    this.#log.warn("spawn threads unavailable ({why}): starting task processes on the main thread, which blocks it for each spawn", { why });
  }
}

/** One Worker thread and the attempts it supervises. */
class SpawnThread {
  readonly attempts = new Map<number, PooledProcess>();
  /** Starts posted whose started has not come back: spawns queued or under way. */
  spawning = 0;
  ready = false;
  dead = false;
  readonly #outgoing = new BurstPost<ToThread>((batch) => {
    if (!this.dead) this.worker.postMessage(batch);
  });
  #lastError = "";
  readonly #readyTimer: Timer;

  constructor(
    readonly worker: Thread,
    private readonly on: { ready: () => void; died: (thread: SpawnThread, why: string) => void },
  ) {
    // bun-types names the MessageEvent constructor here, not the event: hence the cast.
    // The thread posts arrays, one per burst (spawn-thread.ts).
    worker.addEventListener("message", (e) => {
      for (const m of (e as unknown as MessageEvent<FromThread[]>).data) this.#onMessage(m);
    });
    worker.addEventListener("error", (e: ErrorEvent) => {
      this.#lastError = e.message;
    });
    worker.addEventListener("close", (e: CloseEvent) => this.on.died(this, this.#lastError || `exit code ${e.code}`));
    this.#readyTimer = setTimeout(() => this.on.died(this, `not ready after ${THREAD_READY_TIMEOUT_MS} ms`), THREAD_READY_TIMEOUT_MS);
    this.#readyTimer.unref();
    // An idle thread must not keep the process alive; a busy one does, as a running child would.
    worker.unref();
  }

  run(id: number, attempt: PooledProcess): void {
    this.attempts.set(id, attempt);
    this.spawning++;
    if (this.attempts.size === 1) this.worker.ref();
    attempt.attach({
      cancel: (reason) => this.#post({ type: "cancel", id, reason }),
      kill: (reason) => this.#post({ type: "kill", id, reason }),
    });
    const { onOutput, ...opts } = attempt.opts;
    this.#post({ type: "start", id, opts: { ...opts, live: onOutput !== undefined } });
  }

  /** Stops the thread and forgets it; its attempts are the pool's to settle. */
  end(): void {
    this.dead = true;
    clearTimeout(this.#readyTimer);
    this.worker.unref();
    this.worker.terminate();
  }

  /** Messages go out once per burst (dispatches arrive several per gRPC read). */
  #post(message: ToThread): void {
    if (!this.dead) this.#outgoing.post(message);
  }

  #onMessage(m: FromThread): void {
    if (this.dead) {
      // A thread given up on may still report a spawn: nobody supervises that process now.
      if (m.type === "started" && m.pid > 1) killGroup(m.pid);
      return;
    }
    if (m.type === "ready") {
      this.ready = true;
      clearTimeout(this.#readyTimer);
      this.on.ready();
    } else if (m.type === "output") {
      for (const p of m.pieces) this.attempts.get(p.id)?.opts.onOutput?.(p.stream, p.data, p.offset);
    } else if (m.type === "started") {
      this.spawning--;
      this.attempts.get(m.id)?.markStarted({ pid: m.pid, startedAt: m.startedAt });
    } else {
      const attempt = this.attempts.get(m.id);
      this.attempts.delete(m.id);
      if (this.attempts.size === 0) this.worker.unref();
      attempt?.finish(m.result);
    }
  }
}

/** A process started through a spawn thread: the handle the rest of the worker holds. */
class PooledProcess implements ProcessHandle {
  readonly started: Promise<ProcessStart>;
  readonly done: Promise<ProcessResult>;
  #settleStarted!: (s: ProcessStart) => void;
  #settleDone!: (r: ProcessResult) => void;
  #start: ProcessStart | null = null;
  #ended = false;
  /** Where cancel and kill go: the thread, or the in-process runner after a fallback. */
  #runner: Pick<ProcessHandle, "cancel" | "kill"> | null = null;
  /** Every stop asked for, in order, to replay if the attempt moves to another runner. */
  readonly #stops: Array<["cancel" | "kill", string]> = [];

  constructor(readonly opts: RunProcessOptions) {
    this.started = new Promise((resolve) => (this.#settleStarted = resolve));
    this.done = new Promise((resolve) => (this.#settleDone = resolve));
  }

  cancel(reason: string): void {
    this.#stop("cancel", reason);
  }

  kill(reason: string): void {
    this.#stop("kill", reason);
  }

  attach(runner: Pick<ProcessHandle, "cancel" | "kill">): void {
    this.#runner = runner;
  }

  markStarted(start: ProcessStart): void {
    if (this.#start !== null) return;
    this.#start = start;
    this.#settleStarted(start);
  }

  finish(result: ProcessResult): void {
    if (this.#ended) return;
    this.#ended = true;
    this.markStarted({ pid: 0, startedAt: result.startedAt });
    this.#settleDone(result);
  }

  /** Runs on this thread instead: only for an attempt whose thread never handled its start. */
  runLocally(): void {
    const local = runProcess(this.opts);
    this.#runner = local;
    for (const [kind, reason] of this.#stops) local[kind](reason);
    void local.started.then((s) => this.markStarted(s));
    void local.done.then((r) => this.finish(r));
  }

  /** Its thread died: kill what it may have left running and end with an honest reason. */
  lose(why: string): void {
    const start = this.#start;
    if (start !== null && start.pid > 1) killGroup(start.pid);
    const error =
      start === null
        ? `lost: the spawn thread died (${why}) before it reported the start; if the process started, nothing supervises it`
        : `lost: the spawn thread supervising the process died (${why}); its process group was killed`;
    const now = Date.now();
    this.finish({ exitCode: null, signal: null, error, stdoutTail: new Uint8Array(0), stderrTail: new Uint8Array(0), startedAt: start?.startedAt ?? now, finishedAt: now, reason: "lost" });
  }

  #stop(kind: "cancel" | "kill", reason: string): void {
    if (this.#ended) return;
    this.#stops.push([kind, reason]);
    this.#runner?.[kind](reason);
  }
}

function killGroup(pgid: number): void {
  try {
    signalGroup(pgid, "SIGKILL");
  } catch {
    // Nothing more can be done for a group we may not signal.
  }
}

let shared: SpawnPool | null = null;

/**
 * Starts a task process on the process's spawn pool, created on first use: the
 * worker's default ProcessStarter.
 * @example
 * const run = spawnProcess({ command: "echo hi" });
 * const { pid } = await run.started; // then: await run.done
 */
export function spawnProcess(opts: RunProcessOptions): ProcessHandle {
  shared ??= new SpawnPool();
  return shared.start(opts);
}
