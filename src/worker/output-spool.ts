/**
 * Output spool: one stream's output of one attempt waiting to go up to the
 * coordinator, in bounded memory. While the stream to the coordinator keeps up, the
 * spool holds one batch; when it cannot (a disconnect, a slow coordinator), the
 * spool keeps the oldest unsent bytes (head) and the newest (tail) and drops the
 * middle, counting what it dropped. Every byte keeps its offset in the stream's
 * whole output, so the gap is visible to whoever reads the log.
 */

/** What one spool may hold unsent: past it, the middle is dropped. */
export const SPOOL_CAPACITY_BYTES = 1024 * 1024;
/** The largest chunk taken at once (a chunk is one stored row). */
export const CHUNK_MAX_BYTES = 32 * 1024;

/** A run of bytes at its offset in the stream's output. */
export interface SpooledChunk {
  offset: number;
  data: Uint8Array;
  /** Bytes dropped between the previous chunk taken and this one. */
  droppedBefore: number;
}

interface Segment {
  offset: number;
  data: Uint8Array;
}

/**
 * @example
 * const spool = new OutputSpool(8);
 * spool.write(bytes("0123456789ab")); // keeps "0123" (head) and "89ab" (tail)
 * spool.take(); // [{ offset: 0, data: "0123", droppedBefore: 0 }, { offset: 8, data: "89ab", droppedBefore: 4 }]
 */
export class OutputSpool {
  #segments: Segment[] = [];
  /** Segments [0, headCount) are the kept head once the spool overflowed. */
  #headCount = 0;
  #headBytes = 0;
  #pendingBytes = 0;
  /** Offset just past the last byte written. */
  #end = 0;
  /** Offset just past the last byte taken (where the next chunk should start). */
  #takenEnd = 0;
  #droppedTotal = 0;

  constructor(readonly capacity: number = SPOOL_CAPACITY_BYTES) {
    if (!Number.isInteger(capacity) || capacity < 2) throw new RangeError(`spool capacity must be an integer ≥ 2, got ${capacity}`);
  }

  /** Unsent bytes held. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /** Bytes written so far, dropped ones included. */
  get totalBytes(): number {
    return this.#end;
  }

  /** Bytes dropped so far. */
  get droppedBytes(): number {
    return this.#droppedTotal;
  }

  /**
   * Appends bytes; `offset` past the end (bytes an earlier spool dropped) counts the
   * difference as dropped, and the next chunk taken shows the gap.
   */
  write(data: Uint8Array, offset = this.#end): void {
    if (data.length === 0) return;
    if (offset > this.#end) {
      this.#droppedTotal += offset - this.#end;
      this.#end = offset;
    }
    this.#segments.push({ offset: this.#end, data });
    this.#end += data.length;
    this.#pendingBytes += data.length;
    if (this.#pendingBytes > this.capacity) this.#dropMiddle();
  }

  /** Takes every held byte as chunks of at most CHUNK_MAX_BYTES, oldest first. */
  take(): SpooledChunk[] {
    const groups: Array<{ offset: number; pieces: Uint8Array[]; bytes: number }> = [];
    for (const seg of this.#segments) {
      for (let i = 0; i < seg.data.length; i += CHUNK_MAX_BYTES) {
        const offset = seg.offset + i;
        const data = seg.data.subarray(i, i + CHUNK_MAX_BYTES);
        const last = groups.at(-1);
        // Adjacent small writes (lines) become one chunk.
        if (last && last.offset + last.bytes === offset && last.bytes + data.length <= CHUNK_MAX_BYTES) {
          last.pieces.push(data);
          last.bytes += data.length;
        } else groups.push({ offset, pieces: [data], bytes: data.length });
      }
    }
    const out = groups.map((g) => {
      const chunk = { offset: g.offset, data: join(g.pieces, g.bytes), droppedBefore: g.offset - this.#takenEnd };
      this.#takenEnd = g.offset + g.bytes;
      return chunk;
    });
    this.#segments = [];
    this.#headCount = 0;
    this.#headBytes = 0;
    this.#pendingBytes = 0;
    return out;
  }

  /** Keeps the first half of the capacity (head) and drops from the front of the rest until it fits. */
  #dropMiddle(): void {
    const half = Math.floor(this.capacity / 2);
    while (this.#headBytes < half && this.#headCount < this.#segments.length) {
      const seg = this.#segments[this.#headCount]!;
      const room = half - this.#headBytes;
      if (seg.data.length > room) {
        this.#segments.splice(this.#headCount + 1, 0, { offset: seg.offset + room, data: seg.data.subarray(room) });
        seg.data = seg.data.subarray(0, room);
      }
      this.#headBytes += seg.data.length;
      this.#headCount++;
    }
    let excess = this.#pendingBytes - this.capacity;
    while (excess > 0 && this.#headCount < this.#segments.length) {
      const seg = this.#segments[this.#headCount]!;
      const cut = Math.min(excess, seg.data.length);
      if (cut === seg.data.length) this.#segments.splice(this.#headCount, 1);
      else {
        seg.data = seg.data.subarray(cut);
        seg.offset += cut;
      }
      excess -= cut;
      this.#pendingBytes -= cut;
      this.#droppedTotal += cut;
    }
  }
}

function join(pieces: Uint8Array[], bytes: number): Uint8Array {
  if (pieces.length === 1) return pieces[0]!;
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
