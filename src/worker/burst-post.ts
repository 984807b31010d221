/**
 * Posts messages to another thread once per burst, as one array: what is posted in one
 * turn of the event loop goes out together, in a microtask. Each postMessage wakes the
 * receiving thread, which costs far more than its bytes (16 % of the worker's CPU in a
 * throughput profile with one post per message). Both directions between the worker
 * and its spawn threads use it (spawn-pool.ts, spawn-thread.ts).
 */
export class BurstPost<T> {
  #batch: T[] = [];
  #transfer: Transferable[] = [];

  constructor(private readonly send: (batch: T[], transfer: Transferable[]) => void) {}

  /** Queues `message`, with the buffers it hands over (`transfer`), for this burst's post. */
  post(message: T, transfer: Transferable[] = []): void {
    this.#transfer.push(...transfer);
    if (this.#batch.push(message) === 1) queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    const batch = this.#batch;
    const transfer = this.#transfer;
    this.#batch = [];
    this.#transfer = [];
    this.send(batch, transfer);
  }
}
