/**
 * One connected worker as the coordinator sees it: its stream, its slots (credits),
 * and the attempts in flight to it. Dispatch only fills free slots, so a worker
 * never has more than its concurrency running.
 */
import { attemptKey, type ClaimedTask } from "../../core/attempt.ts";
import { coerceError } from "../../core/errors.ts";
import type { Logger } from "../../log/logger.ts";
import type { ConnectServerStream, CoordinatorMessage } from "../../proto/index.ts";

/** How long a drain or resume overrides the worker's heartbeats while it has not answered. */
export const DRAIN_REQUEST_SETTLE_MS = 5000;

/** Policy facts kept per attempt in flight, to judge its result without a lookup. */
export type InflightAttempt = ClaimedTask;

export class WorkerSession {
  readonly inflight = new Map<string, InflightAttempt>();
  /** The worker's labels from its Hello: the claim matches task selectors against them (docs/placement.md). */
  labels: Record<string, string> = {};
  /**
   * Results received and being written, by attempt key. Their slots are already free
   * (the worker frees a slot before it reports), but their attempts are still live in
   * the database until the write lands: reconcile and endSession wait for them.
   */
  readonly finishing = new Map<string, Promise<unknown>>();
  /** Why each attempt this session was told to kill was stopped, by attempt key, until its result arrives. */
  readonly stopping = new Map<string, string>();
  draining = false;
  /** Slots held by a claim inside a submit's transaction (Dispatcher.claimWithin) until it commits or rolls back. */
  reserved = 0;
  /**
   * A drain or resume sent to the worker, until its heartbeats agree (or DRAIN_REQUEST_SETTLE_MS
   * passes): heartbeats written before the worker read the request still carry the old flag.
   */
  drainRequest: { draining: boolean; at: number } | null = null;
  closed = false;
  /** When this coordinator last heard from the worker (performance.now()): the liveness monitor records it. */
  heardAt = performance.now();
  /** Attempts the worker's last heartbeat reported running: the liveness monitor records it. */
  running = 0;

  constructor(
    readonly id: string,
    readonly name: string,
    readonly queues: string[],
    readonly concurrency: number,
    private readonly stream: ConnectServerStream,
    private readonly log: Logger,
  ) {}

  /** Slots the coordinator may still fill. */
  get free(): number {
    if (this.draining || this.closed) return 0;
    return Math.max(0, this.concurrency - this.inflight.size - this.reserved);
  }

  /** Sends claimed attempts down the stream; returns those that could not be sent. */
  dispatch(tasks: ClaimedTask[]): ClaimedTask[] {
    const unsent: ClaimedTask[] = [];
    for (const t of tasks) {
      const sent = this.send({
        dispatch: {
          task_id: t.id,
          attempt: t.attempt,
          name: t.name,
          command: t.command,
          env: t.env,
          queue: t.queue,
          timeout_ms: t.timeoutMs ?? 0,
        },
      });
      if (sent) this.inflight.set(attemptKey(t.id, t.attempt), t);
      else unsent.push(t);
    }
    return unsent;
  }

  /**
   * Tells the worker to kill an attempt (cancelled, or no longer current). It stays
   * in flight, holding its slot, until the worker reports the kill: that report
   * records the attempt's exit and output.
   */
  cancel(taskId: string, attempt: number, reason: string): void {
    this.stopping.set(attemptKey(taskId, attempt), reason);
    this.send({ cancel: { task_id: taskId, attempt, reason } });
  }

  drain(reason: string): void {
    this.draining = true;
    this.drainRequest = { draining: true, at: performance.now() };
    this.send({ drain: { reason } });
  }

  /** Dispatch starts again once the worker's heartbeat says it resumed (a stopping worker does not). */
  resume(reason: string): void {
    this.drainRequest = { draining: false, at: performance.now() };
    this.send({ resume: { reason } });
  }

  /**
   * Whether the worker drains, given its heartbeat's flag: the flag, unless a request sent
   * moments ago has not reached it yet. A worker that ignores a resume (it is stopping) wins
   * once DRAIN_REQUEST_SETTLE_MS has passed.
   */
  drainingFromHeartbeat(reported: boolean, now = performance.now()): boolean {
    const r = this.drainRequest;
    if (r && r.draining !== reported && now - r.at < DRAIN_REQUEST_SETTLE_MS) return r.draining;
    this.drainRequest = null;
    return reported;
  }

  send(msg: CoordinatorMessage): boolean {
    if (this.closed || this.stream.destroyed || this.stream.cancelled) return false;
    try {
      this.stream.write(msg);
      return true;
    } catch (err) {
      this.log.warn("writing to worker {worker} failed: {error}", { worker: this.name, error: coerceError(err).message });
      return false;
    }
  }

  /** Ends the stream; the worker reconnects (elsewhere, or here as a new session if it was declared dead). */
  close(code: number, details: string): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.stream.emit("error", { code, details });
    } catch {
      // The stream may already be gone; nothing left to tell the worker.
    }
  }
}
