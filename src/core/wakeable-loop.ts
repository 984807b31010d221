/**
 * A background loop that runs a pass when woken (a NOTIFY, a freed slot), when the
 * pass asked to be called again after some delay, or right away when it asked for
 * another pass. Wakes during a pass coalesce into one more pass, so a burst of
 * notifications costs one or two passes, not one each. Errors are logged and
 * retried after a backoff; the loop never dies.
 */
import { coerceError } from "./errors.ts";
import type { Logger } from "../log/logger.ts";

/** What a pass wants next: another pass now, or the next pass in this many ms. */
export type NextPass = "again" | number;

export class WakeableLoop {
  private running = false;
  private wakeAgain = false;
  private stopped = true;
  private loop: Promise<void> | null = null;
  private timer: Timer | null = null;
  /** Set while raceWake waits: answers "again" the moment a wake comes in. */
  private onWake: (() => void) | null = null;

  constructor(
    private readonly pass: () => Promise<NextPass>,
    private readonly log: Logger,
    private readonly opts: { what: string; errorBackoffMs: number },
  ) {}

  start(): void {
    this.stopped = false;
    this.wake();
  }

  /** Stops timers and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.loop;
  }

  /** Asks for a pass now; calls during a pass coalesce into one more pass. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.wakeAgain = true;
      this.onWake?.();
      return;
    }
    this.running = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.loop = this.run();
  }

  /**
   * For the end of a pass: resolves with what `lookup` resolves to, or "again" as
   * soon as a wake comes in (before the lookup, which is then skipped, or while it
   * runs). A pass need not wait for an answer, such as when to look next, that a
   * wake has made moot.
   */
  raceWake(lookup: () => Promise<NextPass>): Promise<NextPass> {
    if (this.wakeAgain) return Promise.resolve("again");
    return new Promise<NextPass>((resolve, reject) => {
      const again = () => {
        this.onWake = null;
        resolve("again");
      };
      this.onWake = again;
      lookup()
        .then(resolve, reject)
        .finally(() => {
          if (this.onWake === again) this.onWake = null;
        });
    });
  }

  private async run(): Promise<void> {
    let next = this.opts.errorBackoffMs;
    do {
      this.wakeAgain = false;
      try {
        const wanted = await this.pass();
        if (wanted === "again") this.wakeAgain = true;
        else next = wanted;
      } catch (err) {
        this.log.warn("{what} failed: {error}", { what: this.opts.what, error: coerceError(err).message });
        next = this.opts.errorBackoffMs;
        break;
      }
    } while (this.wakeAgain && !this.stopped);
    // Cleared synchronously with the last check, so no wake() can fall between them.
    this.running = false;
    if (this.stopped) return;
    if (this.wakeAgain) return this.wake();
    this.timer = setTimeout(() => this.wake(), next);
  }
}
