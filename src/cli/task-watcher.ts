/**
 * Re-checks tasks whenever the event stream says one of them changed, and on a
 * timer besides: the stream only says when to look (GET is the truth), so a
 * dropped connection or a missed event delays a check but never loses one.
 */
import { ApiError, type ApiClient } from "./api-client.ts";
import { CliError } from "./errors.ts";
import { EventFollower } from "./event-stream.ts";

/** How often to look anyway while the event stream is up, and while it is down. */
export const POLL_WITH_STREAM_MS = 5000;
export const POLL_WITHOUT_STREAM_MS = 1000;
/** How long the server may stay unreachable (or 503) before a watch gives up: a scheduler restart fits. */
export const GIVE_UP_AFTER_MS = 120_000;

export interface WatchOptions {
  /** Task ids whose events wake the watcher; null wakes on any task event. */
  ids: ReadonlySet<string> | null;
  /** Ends the watch (check is not called again). */
  signal?: AbortSignal;
  /** Wait this long after a wake-up for more events before checking (batches bursts for `ls --watch`). */
  settleMs?: number;
  /** Told once each time the server stops answering (the watch goes on trying for GIVE_UP_AFTER_MS). */
  onServerLost?(err: CliError): void;
}

/** Calls `check` at once, then on every relevant change, until it returns true or the signal aborts. */
export async function watchTasks(api: ApiClient, check: () => Promise<boolean>, opts: WatchOptions): Promise<void> {
  let dirty = false;
  let wake: (() => void) | null = null;
  const poke = () => {
    dirty = true;
    wake?.();
  };
  const follower = new EventFollower(api, {
    onConnect: poke,
    onEvent: (m) => {
      if (m.event === "reset") return poke();
      if (m.event !== "task") return;
      if (opts.ids === null) return poke();
      try {
        if (opts.ids.has((JSON.parse(m.data) as { id: string }).id)) poke();
      } catch {
        poke();
      }
    },
  });
  let lostSince: number | null = null;
  try {
    while (!opts.signal?.aborted) {
      dirty = false;
      try {
        if (await check()) return;
        lostSince = null;
      } catch (err) {
        if (!isTransient(err) || (lostSince !== null && Date.now() - lostSince > GIVE_UP_AFTER_MS)) throw err;
        if (lostSince === null) opts.onServerLost?.(err);
        lostSince ??= Date.now();
        dirty = false;
      }
      if (!dirty) await pause(follower.connected ? POLL_WITH_STREAM_MS : POLL_WITHOUT_STREAM_MS, opts.signal, (w) => (wake = w));
      wake = null;
      if (opts.settleMs && !opts.signal?.aborted) await pause(opts.settleMs, opts.signal, () => {});
    }
  } finally {
    await follower.stop();
  }
}

/** Unreachable, or 503 (database away): worth trying again; any other refusal is final. */
function isTransient(err: unknown): err is CliError {
  return err instanceof ApiError ? err.status === 503 || err.status === 502 || err.status === 504 : err instanceof CliError;
}

/** Sleeps up to `ms`, ending early on the wake function it hands out or on abort. */
function pause(ms: number, signal: AbortSignal | undefined, setWake: (wake: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    setWake(done);
  });
}
