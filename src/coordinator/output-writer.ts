/**
 * Writes workers' live output (db/queries/append-output-chunks.ts) in batches: one
 * statement for whatever arrived while the previous one ran, from every stream this
 * coordinator holds. Memory is bounded: past MAX_QUEUED_BYTES waiting (the database
 * is slow or away), new chunks are dropped and counted, leaving a gap in the log's
 * offsets rather than growing the coordinator. An attempt's result waits for its
 * output (`settled`), so the fence, which closes the attempt, never refuses output
 * sent before the result.
 */
import { attemptKey } from "../core/attempt.ts";
import { coerceError } from "../core/errors.ts";
import { MicroBatcher } from "../core/micro-batcher.ts";
import type { OutputChunkWrite } from "../db/queries/append-output-chunks.ts";
import type { Logger } from "../log/logger.ts";

/** Output waiting to be written, at most; past it new chunks are dropped. */
export const MAX_QUEUED_BYTES = 8 * 1024 * 1024;
/**
 * Chunks per statement (each up to 32 KiB, so ≤ 1 MiB): a batch travels as base64 in
 * JSON, so its size multiplies in memory; bigger batches cost the coordinator RSS.
 */
const MAX_BATCH = 32;

export type OutputWrite = (chunks: OutputChunkWrite[]) => Promise<Set<string>>;

export class OutputWriter {
  readonly #batcher: MicroBatcher<OutputChunkWrite, boolean>;
  readonly #last = new Map<string, Promise<unknown>>();
  #queuedBytes = 0;
  /** Bytes dropped because too much waited (since start). */
  droppedBytes = 0;

  constructor(
    write: OutputWrite,
    private readonly log: Logger,
    private readonly maxQueuedBytes = MAX_QUEUED_BYTES,
  ) {
    this.#batcher = new MicroBatcher(
      async (chunks: OutputChunkWrite[]) => {
        const accepted = await write(chunks);
        log.debug("wrote {n} output chunk(s) of {attempts} attempt(s)", { n: chunks.length, attempts: accepted.size });
        return chunks.map((c) => accepted.has(attemptKey(c.taskId, c.attempt)));
      },
      { maxBatch: MAX_BATCH, onRetry: (err, n) => log.warn("writing task output failed (try {n}), retrying: {error}", { n, error: coerceError(err).message }) },
    );
  }

  /** Queues chunks; resolves with the keys of the attempts whose output the fence refused. */
  async add(chunks: OutputChunkWrite[]): Promise<Set<string>> {
    const taken: OutputChunkWrite[] = [];
    for (const c of chunks) {
      if (this.#queuedBytes + c.data.length > this.maxQueuedBytes) {
        if (this.droppedBytes === 0) this.log.warn("task output is arriving faster than the database takes it: dropping some (the log shows the gap)");
        this.droppedBytes += c.data.length;
        continue;
      }
      this.#queuedBytes += c.data.length;
      taken.push(c);
    }
    // One message's chunks go in together, so they share a statement.
    const added = this.#batcher.addAll(taken);
    const writes: Array<Promise<[string, boolean]>> = [];
    for (const [i, c] of taken.entries()) {
      const key = attemptKey(c.taskId, c.attempt);
      const p = added[i]!.finally(() => (this.#queuedBytes -= c.data.length));
      this.#last.set(key, p);
      const forget = () => {
        if (this.#last.get(key) === p) this.#last.delete(key);
      };
      p.then(forget, forget);
      writes.push(p.then((ok): [string, boolean] => [key, ok]));
    }
    const refused = new Set<string>();
    for (const [key, ok] of await Promise.all(writes)) if (!ok) refused.add(key);
    return refused;
  }

  /** Resolves once every chunk of the attempt queued so far is written (or given up). */
  async settled(taskId: string, attempt: number): Promise<void> {
    await this.#last.get(attemptKey(taskId, attempt))?.catch(() => {});
  }

  flush(deadlineMs: number): Promise<boolean> {
    return this.#batcher.idle(deadlineMs);
  }

  close(): void {
    this.#batcher.close();
  }
}
