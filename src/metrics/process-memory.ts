/**
 * The process's memory, for /metrics and /api/metrics. Under Bun,
 * `process.memoryUsage().heapUsed` counts "external" memory too (ArrayBuffers and
 * WebAssembly memories, such as embedded PostgreSQL's, much of it reserved but never
 * touched), so it can exceed the resident size. The JavaScript heap is that figure
 * minus the external part; the external part is reported on its own.
 */
export interface ProcessMemory {
  /** Resident set size: what the process holds in RAM. */
  residentBytes: number;
  /** Live JavaScript objects. */
  heapUsedBytes: number;
  /** Memory the JavaScript heap has taken from the system. */
  heapTotalBytes: number;
  /** ArrayBuffers, Buffers and WebAssembly memories, as allocated (not all resident). */
  externalBytes: number;
}

/** Reads the figures now. */
export function processMemory(): ProcessMemory {
  const m = process.memoryUsage();
  return {
    residentBytes: process.memoryUsage.rss(),
    heapUsedBytes: Math.max(0, m.heapUsed - m.external),
    heapTotalBytes: m.heapTotal,
    externalBytes: m.external,
  };
}
