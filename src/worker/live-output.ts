/**
 * Live output: the output of this worker's attempts on its way up to the
 * coordinator as it is written. Pieces wait in one bounded spool per attempt and
 * stream (output-spool.ts) and go up together about every BATCH_MS, or sooner once
 * BATCH_BYTES wait, so a chatty task costs a few messages a second. While the
 * stream is down or congested nothing is sent and the spools keep head and tail.
 * An attempt's last output is sent before its result (`end`, then the result).
 */
import { attemptKey } from "../core/attempt.ts";
import type { OutputChunk, TaskOutput } from "../proto/index.ts";
import { OutputSpool, SPOOL_CAPACITY_BYTES } from "./output-spool.ts";
import type { OutputStreamName } from "./process-runner.ts";

/** How long output waits to share a message with more. */
export const BATCH_MS = 50;
/** Output waiting that sends a message without waiting out BATCH_MS. */
export const BATCH_BYTES = 32 * 1024;
/** The most output bytes in one TaskOutput message. */
const MESSAGE_MAX_BYTES = 256 * 1024;

export interface LiveOutputLink {
  /** Writes a message on the ready stream; false when there is none. */
  send(output: TaskOutput): boolean;
  /** True when the stream is ready and not holding back writes. */
  writable(): boolean;
  /** True when a stream is ready at all (congested or not). */
  ready(): boolean;
}

interface AttemptOutput {
  taskId: string;
  attempt: number;
  spools: Record<OutputStreamName, OutputSpool>;
  seq: Record<OutputStreamName, number>;
  ended: boolean;
}

const STREAM_ENUM = { stdout: "OUTPUT_STREAM_STDOUT", stderr: "OUTPUT_STREAM_STDERR" } as const;

export class LiveOutput {
  readonly #attempts = new Map<string, AttemptOutput>();
  #timer: Timer | undefined;
  #soon = false;

  constructor(
    private readonly link: LiveOutputLink,
    private readonly capacity = SPOOL_CAPACITY_BYTES,
  ) {}

  /** Attempts with output held (running, or ended with output not yet sent). */
  get size(): number {
    return this.#attempts.size;
  }

  /** Bytes held for every attempt. */
  get pendingBytes(): number {
    let n = 0;
    for (const a of this.#attempts.values()) n += a.spools.stdout.pendingBytes + a.spools.stderr.pendingBytes;
    return n;
  }

  /** Adds output of an attempt; `offset` past what was written means bytes dropped on the way (the spawn thread's spool). */
  write(taskId: string, attempt: number, stream: OutputStreamName, data: Uint8Array, offset?: number): void {
    const key = attemptKey(taskId, attempt);
    let a = this.#attempts.get(key);
    if (!a) {
      a = { taskId, attempt, spools: { stdout: new OutputSpool(this.capacity), stderr: new OutputSpool(this.capacity) }, seq: { stdout: 0, stderr: 0 }, ended: false };
      this.#attempts.set(key, a);
    }
    const spool = a.spools[stream];
    spool.write(data, offset);
    if (spool.pendingBytes >= BATCH_BYTES) this.#flushSoon();
    else this.#timer ??= setTimeout(() => this.#tick(), BATCH_MS);
  }

  /** The attempt's process ended: send what it has now (before its result), then forget it. */
  end(taskId: string, attempt: number): void {
    const a = this.#attempts.get(attemptKey(taskId, attempt));
    if (!a) return;
    a.ended = true;
    this.flush(true);
  }

  /**
   * Sends what waits, in messages of at most MESSAGE_MAX_BYTES. `force` sends even
   * into a congested stream (an attempt's last words before its result). Returns
   * false when nothing could be sent.
   */
  flush(force = false): boolean {
    if (!(force ? this.link.ready() : this.link.writable())) return false;
    let chunks: OutputChunk[] = [];
    let bytes = 0;
    for (const [key, a] of this.#attempts) {
      for (const stream of ["stdout", "stderr"] as const) {
        for (const c of a.spools[stream].take()) {
          chunks.push({ task_id: a.taskId, attempt: a.attempt, stream: STREAM_ENUM[stream], seq: ++a.seq[stream], offset: c.offset, data: c.data, dropped_bytes: c.droppedBefore });
          bytes += c.data.length;
          if (bytes >= MESSAGE_MAX_BYTES) {
            if (!this.link.send({ chunks })) return false;
            chunks = [];
            bytes = 0;
          }
        }
      }
      if (a.ended) this.#attempts.delete(key);
    }
    if (chunks.length > 0) return this.link.send({ chunks });
    return true;
  }

  /** Drops every held byte and timer (the worker stopped). */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#attempts.clear();
  }

  #flushSoon(): void {
    if (this.#soon) return;
    this.#soon = true;
    queueMicrotask(() => {
      this.#soon = false;
      this.flush();
    });
  }

  #tick(): void {
    this.#timer = undefined;
    this.flush();
    // Output still held (stream down or congested) is tried again next tick.
    if (this.pendingBytes > 0) this.#timer = setTimeout(() => this.#tick(), BATCH_MS);
  }
}
