/**
 * The process's one LISTEN on taskflow_output: tells the followers of an attempt's
 * log (GET …/log?follow=1, the task page) that more of it was stored, so they read
 * on from their offset at once instead of polling. Notices carry only
 * "TASK_ID:ATTEMPT"; followers read the bytes themselves.
 */
import type { Service } from "../../core/lifecycle.ts";
import { OUTPUT_CHANNEL, parsePayload } from "../../db/channels.ts";
import type { Database } from "../../db/client.ts";

export type OutputNotice = () => void;

export class OutputFeed implements Service {
  readonly name = "output-feed";
  readonly #followers = new Map<string, Set<OutputNotice>>();
  #unlisten: (() => Promise<void>) | null = null;

  constructor(private readonly database: Database) {}

  async start(): Promise<void> {
    if (this.#unlisten) return;
    this.#unlisten = await this.database.listen(OUTPUT_CHANNEL, (payload) => {
      for (const key of parsePayload<string>(payload)) for (const f of this.#followers.get(key) ?? []) f();
    });
  }

  async stop(): Promise<void> {
    const u = this.#unlisten;
    this.#unlisten = null;
    await u?.().catch(() => {});
    this.#followers.clear();
  }

  /** Calls `notice` whenever output of the attempt was stored; returns the unsubscribe function. */
  follow(taskId: string, attempt: number, notice: OutputNotice): () => void {
    const key = `${taskId}:${attempt}`;
    const set = this.#followers.get(key) ?? new Set();
    this.#followers.set(key, set);
    // A distinct function per follow, so one notice followed twice is two followers.
    const f = () => notice();
    set.add(f);
    return () => {
      set.delete(f);
      if (set.size === 0 && this.#followers.get(key) === set) this.#followers.delete(key);
    };
  }

  /** Followers now (for tests and metrics). */
  get followers(): number {
    let n = 0;
    for (const s of this.#followers.values()) n += s.size;
    return n;
  }
}
