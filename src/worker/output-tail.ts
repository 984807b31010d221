/**
 * Output tail: keeps only the last N bytes of a stream in fixed memory, so a
 * task that prints gigabytes costs the worker no more than the tail it reports.
 */

/** How much of each of stdout and stderr an attempt keeps (SPEC §2). */
export const OUTPUT_TAIL_BYTES = 64 * 1024;

/**
 * A ring buffer of the most recent `capacity` bytes written to it.
 *
 * @example
 * const tail = new OutputTail(4);
 * tail.write(new TextEncoder().encode("abcdef"));
 * tail.bytes(); // "cdef"
 */
export class OutputTail {
  /** Allocated on the first non-empty write, so silent tasks cost nothing. */
  #buffer: Uint8Array | null = null;
  /** Index where the next byte goes; once full, also the oldest byte. */
  #end = 0;
  #length = 0;
  #totalBytes = 0;

  constructor(readonly capacity: number = OUTPUT_TAIL_BYTES) {
    if (!Number.isInteger(capacity) || capacity <= 0) {
      throw new RangeError(`OutputTail capacity must be a positive integer, got ${capacity}`);
    }
  }

  /** Bytes written so far, including those already dropped. */
  get totalBytes(): number {
    return this.#totalBytes;
  }

  /** Appends a chunk, dropping the oldest bytes beyond the capacity. */
  write(chunk: Uint8Array): void {
    const n = chunk.length;
    if (n === 0) return;
    this.#totalBytes += n;
    const cap = this.capacity;
    const buffer = (this.#buffer ??= new Uint8Array(cap));
    if (n >= cap) {
      buffer.set(chunk.subarray(n - cap));
      this.#end = 0;
      this.#length = cap;
      return;
    }
    const first = Math.min(n, cap - this.#end);
    buffer.set(chunk.subarray(0, first), this.#end);
    if (first < n) buffer.set(chunk.subarray(first), 0);
    this.#end = (this.#end + n) % cap;
    this.#length = Math.min(cap, this.#length + n);
  }

  /** A copy of the kept bytes, oldest first. */
  bytes(): Uint8Array {
    const buffer = this.#buffer;
    if (buffer === null) return new Uint8Array(0);
    // Until the buffer first fills, data sits at [0, length) and has not wrapped.
    if (this.#length < this.capacity) return buffer.slice(0, this.#length);
    const out = new Uint8Array(this.capacity);
    out.set(buffer.subarray(this.#end), 0);
    out.set(buffer.subarray(0, this.#end), this.capacity - this.#end);
    return out;
  }
}
