/**
 * Positions in the change feed, and following the feed from one. Every SSE
 * stream's event ids are feed positions: `EPOCH-SEQ` (after the whole batch SEQ)
 * or `EPOCH-SEQ-INDEX` (after event INDEX of batch SEQ, for streams that send a
 * batch as several events). The epoch is the feed's, random per process, so a
 * position from another process or an earlier run is recognised as such instead
 * of silently skipping events. A client that reconnects with Last-Event-ID (or a
 * page that embeds the position it was rendered at) gets exactly the batches
 * after it, or is told to start over when they are not all kept.
 */
import type { ChangeFeed, FeedBatch } from "./change-feed.ts";

export interface FeedPosition {
  seq: number;
  /** The last event of batch `seq` the client has; null: all of it. */
  index: number | null;
}

/** A position as an event id. */
export function formatPosition(epoch: string, seq: number, index?: number): string {
  return index === undefined ? `${epoch}-${seq}` : `${epoch}-${seq}-${index}`;
}

/** Reads an event id: null when malformed. */
export function parsePosition(text: string | null | undefined): ({ epoch: string } & FeedPosition) | null {
  const m = text?.trim().match(/^([0-9a-z]{1,16})-(\d{1,15})(?:-(\d{1,9}))?$/);
  return m ? { epoch: m[1]!, seq: Number(m[2]), index: m[3] === undefined ? null : Number(m[3]) } : null;
}

/** Why a follower must start over from the current state instead of replaying. */
export type ResyncReason =
  /** No position given: nothing to replay. */
  | "fresh"
  /** The position is another process's, an earlier run's, or malformed. */
  | "unknown"
  /** Batches after the position are no longer kept (or lack the rows asked for, or the stream declined the replay). */
  | "gap";

export interface FeedFollower {
  /** A batch to send; `skip` events at its start the client already has. */
  batch(batch: FeedBatch, skip: number): void;
  /** Called at most once, before any batch: the client must start over from the current state. */
  resync(reason: ResyncReason): void;
}

export interface FollowOptions {
  /** Batches come with their task and worker rows; a replay whose batches lack them resyncs. */
  rows?: boolean;
  /** Last look at the batches a resume would replay: false resyncs instead (e.g. too many to queue). */
  acceptReplay?: (batches: FeedBatch[]) => boolean;
}

/**
 * Follows `feed` from the position `from` (an event id, or null): replays the kept
 * batches after it, or calls `resync` first when it cannot. Returns the unsubscribe function.
 */
export function followFeed(feed: ChangeFeed, from: string | null, follower: FeedFollower, opts: FollowOptions = {}): () => void {
  const rows = opts.rows ?? false;
  const pos = from === null ? null : parsePosition(from);
  if (pos === null || pos.epoch !== feed.epoch || pos.seq > feed.lastSeq) {
    follower.resync(from === null ? "fresh" : "unknown");
    return feed.subscribe((b) => follower.batch(b, 0), { rows });
  }
  // A position inside a batch replays that batch too, minus the events the client has.
  const afterSeq = pos.index === null ? pos.seq : pos.seq - 1;
  const skip = (b: FeedBatch) => (pos.index !== null && b.seq === pos.seq ? pos.index + 1 : 0);
  const last = feed.lastSeq;
  const replayed: FeedBatch[] = [];
  let replaying = true;
  const off = feed.subscribe((b) => (replaying ? replayed.push(b) : follower.batch(b, 0)), { afterSeq, rows });
  replaying = false;
  // The feed keeps a bounded history: a gap means batches were forgotten.
  const complete =
    (afterSeq === last || replayed[0]?.seq === afterSeq + 1) && (!rows || replayed.every((b) => b.rowsLoaded)) && (opts.acceptReplay?.(replayed) ?? true);
  if (!complete) follower.resync("gap");
  else for (const b of replayed) follower.batch(b, skip(b));
  return off;
}
