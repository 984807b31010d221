/**
 * Following an attempt's log over SSE (GET …/log?follow=1): sends the stored output
 * from an offset, then each new piece as it is stored, until the attempt has ended
 * and everything is sent; then one `outcome` event and the end of the stream.
 *
 * API events (JSON_LOG_EVENTS): `output` `{offset, skipped, stream, text}` whose id is the offset just past it
 * (so Last-Event-ID resumes exactly there: nothing lost, nothing repeated);
 * `skipped` counts bytes before `offset` that were not kept. `outcome`
 * `{task_id, attempt, status, exit_code, error, dropped_bytes}` last.
 *
 * Reads happen when the coordinator says output was stored (output-feed.ts), when
 * the task changes (change-feed.ts: the attempt ended), and every POLL_MS as a net.
 * Following a task's latest attempt before its first starts waits for it.
 */
import { coerceError } from "../../core/errors.ts";
import type { Db } from "../../db/client.ts";
import { latestAttempt } from "../../db/queries/latest-attempt.ts";
import type { OutputStreamName } from "../../db/queries/append-output-chunks.ts";
import { readOutput, type OutputSelection } from "../../db/queries/read-output.ts";
import type { SseBudget } from "../sse-budget.ts";
import type { Logger } from "../../log/logger.ts";
import type { ChangeFeed } from "../live/change-feed.ts";
import type { OutputFeed } from "../live/output-feed.ts";
import { sseResponse, type SseSink } from "../live/sse-writer.ts";
import { completeUtf8Length } from "./log-query.ts";

/** A safety net: reads this often even without a notice. */
const POLL_MS = 2000;
/** Bytes per read. */
const READ_BYTES = 256 * 1024;
/** A follower waits while this much is unread by its client (a big backlog on a slow link). */
const CLIENT_BACKLOG_BYTES = 1024 * 1024;

export interface LogFollowDeps {
  db: Db;
  feed: ChangeFeed;
  outputs: OutputFeed;
  log: Logger;
  /** The process's SSE budget (--sse-max-connections). */
  budget?: SseBudget;
}

export interface FollowTarget {
  taskId: string;
  /** null: the task's latest attempt, waiting for the first if none started yet. */
  attempt: number | null;
  stream: OutputSelection;
  from: number;
}

/** A piece of output as a follower sends it. */
export interface FollowedPiece {
  offset: number;
  /** Bytes before `offset` that were not kept. */
  skipped: number;
  stream: OutputStreamName;
  text: string;
}

export interface FollowedOutcome {
  task_id: string;
  attempt: number;
  status: string;
  exit_code: number | null;
  error: string | null;
  dropped_bytes: number;
}

/** How a follower's events look: JSON for the API, HTML fragments for the dashboard. */
export interface LogEvents {
  /** Sends a piece with `id` (the offset after it); false once the stream is closed. */
  piece(sink: SseSink, piece: FollowedPiece, id: string): boolean;
  outcome(sink: SseSink, outcome: FollowedOutcome, id: string): void;
}

/** The API's events: `output` {offset, skipped, stream, text} and `outcome`. */
export const JSON_LOG_EVENTS: LogEvents = {
  piece: (sink, piece, id) => sink.sendJson("output", piece, id),
  outcome: (sink, outcome, id) => sink.sendJson("outcome", outcome, id),
};

export function followLogResponse(deps: LogFollowDeps, target: FollowTarget, signal: AbortSignal, events: LogEvents = JSON_LOG_EVENTS): Response {
  return sseResponse(
    (sink) => {
      const follower = new LogFollower(deps, target, sink, events);
      follower.start();
      return () => follower.stop();
    },
    { signal, log: deps.log, budget: deps.budget },
  );
}

class LogFollower {
  #attempt: number | null;
  #from: number;
  #reading = false;
  #again = false;
  #stopped = false;
  readonly #unsubscribe: Array<() => void> = [];
  #poll: Timer | undefined;
  /** One decoder per stream: a character cut between two chunks of a stream decodes whole. */
  readonly #decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };

  constructor(
    private readonly deps: LogFollowDeps,
    private readonly target: FollowTarget,
    private readonly sink: SseSink,
    private readonly events: LogEvents,
  ) {
    this.#attempt = target.attempt;
    this.#from = target.from;
  }

  start(): void {
    this.#unsubscribe.push(this.deps.feed.subscribe((batch) => {
      if (batch.taskChanges.some((c) => c.id === this.target.taskId)) this.pump();
    }));
    if (this.#attempt !== null) this.#followOutput(this.#attempt);
    this.#poll = setInterval(() => this.pump(), POLL_MS);
    this.pump();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#poll);
    for (const u of this.#unsubscribe.splice(0)) u();
  }

  #followOutput(attempt: number): void {
    this.#unsubscribe.push(this.deps.outputs.follow(this.target.taskId, attempt, () => this.pump()));
  }

  /** Reads until nothing new is stored; notices during a read make it read again. */
  pump(): void {
    if (this.#stopped) return;
    if (this.#reading) {
      this.#again = true;
      return;
    }
    this.#reading = true;
    void (async () => {
      try {
        do {
          this.#again = false;
          await this.#readOn();
        } while (this.#again && !this.#stopped);
      } catch (err) {
        this.deps.log.warn("following the log of task {taskId} failed: {error}", { taskId: this.target.taskId, error: coerceError(err).message });
      } finally {
        this.#reading = false;
      }
    })();
  }

  async #readOn(): Promise<void> {
    const attempt = this.#attempt ?? (await this.#resolveAttempt());
    if (attempt === null) return;
    for (;;) {
      const read = await readOutput(this.deps.db, { taskId: this.target.taskId, attempt, stream: this.target.stream, from: this.#from, limit: READ_BYTES });
      if (!read || this.#stopped) return this.sink.close();
      let bytes = 0;
      for (const [i, piece] of read.pieces.entries()) {
        // Until the attempt ends, a character cut at the end of what is stored waits for its other half.
        const last = i === read.pieces.length - 1 && !read.finished;
        const data = last ? piece.data.subarray(0, completeUtf8Length(piece.data)) : piece.data;
        if (data.length === 0) continue;
        const next = piece.offset + data.length;
        const text = this.#decoders[piece.stream].decode(data, { stream: true });
        if (!this.events.piece(this.sink, { offset: piece.offset, skipped: piece.offset - this.#from, stream: piece.stream, text }, String(next))) return;
        this.#from = next;
        bytes += data.length;
        await this.#clientCaughtUp();
      }
      if (bytes > 0 && bytes >= READ_BYTES / 2) continue;
      if (read.finished && this.#from >= read.end) {
        const a = read.attempt;
        this.events.outcome(this.sink, { task_id: this.target.taskId, attempt, status: a.status, exit_code: a.exitCode, error: a.error, dropped_bytes: read.droppedBytes }, String(this.#from));
        this.sink.close();
      }
      return;
    }
  }

  async #resolveAttempt(): Promise<number | null> {
    const n = await latestAttempt(this.deps.db, this.target.taskId);
    if (n === null) {
      this.sink.close();
      return null;
    }
    if (n === 0) return null; // not started yet: the task's change will call again
    this.#attempt = n;
    this.#followOutput(n);
    return n;
  }

  async #clientCaughtUp(): Promise<void> {
    while (!this.#stopped && this.sink.queuedBytes > CLIENT_BACKLOG_BYTES) await Bun.sleep(20);
  }
}
