/**
 * The process's one LISTEN on taskflow_output: tells the followers of an attempt's
 * log (GET …/log?follow=1, the task page) that more of it was stored, so they read
 * on from their offset at once instead of polling, and that an attempt ended
 * ("TASK_ID:ATTEMPT:end", sent with every recorded outcome, also when its task did
 * not change: a cancelled attempt's kill), so open task pages show its final state.
 * Notices carry only keys; followers read the rows themselves.
 */
import type { Service } from "../../core/lifecycle.ts";
import { OUTPUT_CHANNEL, parsePayload } from "../../db/channels.ts";
import type { Database } from "../../db/client.ts";

export type OutputNotice = () => void;

export class OutputFeed implements Service {
  readonly name = "output-feed";
  readonly #followers = new Map<string, Set<OutputNotice>>();
  /** Followers of every attempt end of a task, by task id. */
  readonly #endFollowers = new Map<string, Set<OutputNotice>>();
  #unlisten: (() => Promise<void>) | null = null;

  constructor(private readonly database: Database) {}

  async start(): Promise<void> {
    if (this.#unlisten) return;
    this.#unlisten = await this.database.listen(OUTPUT_CHANNEL, (payload) => {
      for (const notice of parsePayload<string>(payload)) {
        const ended = notice.endsWith(":end");
        const key = ended ? notice.slice(0, -4) : notice;
        for (const f of this.#followers.get(key) ?? []) f();
        if (ended) for (const f of this.#endFollowers.get(key.slice(0, key.lastIndexOf(":"))) ?? []) f();
      }
    });
  }

  async stop(): Promise<void> {
    const u = this.#unlisten;
    this.#unlisten = null;
    await u?.().catch(() => {});
    this.#followers.clear();
  }

  /** Calls `notice` whenever output of the attempt was stored, and when it ended; returns the unsubscribe function. */
  follow(taskId: string, attempt: number, notice: OutputNotice): () => void {
    return add(this.#followers, `${taskId}:${attempt}`, notice);
  }

  /** Calls `notice` whenever an attempt of the task ended; returns the unsubscribe function. */
  followEnds(taskId: string, notice: OutputNotice): () => void {
    return add(this.#endFollowers, taskId, notice);
  }

  /** Followers now (for tests and metrics). */
  get followers(): number {
    let n = 0;
    for (const s of this.#followers.values()) n += s.size;
    for (const s of this.#endFollowers.values()) n += s.size;
    return n;
  }
}

function add(map: Map<string, Set<OutputNotice>>, key: string, notice: OutputNotice): () => void {
  const set = map.get(key) ?? new Set();
  map.set(key, set);
  // A distinct function per follow, so one notice followed twice is two followers.
  const f = () => notice();
  set.add(f);
  return () => {
    set.delete(f);
    if (set.size === 0 && map.get(key) === set) map.delete(key);
  };
}
