/**
 * Failed authentications, counted per client address (HTTP and gRPC alike).
 * Past `maxFailures` within `windowMs`, the address is refused without its
 * credentials being checked until the window ends (HTTP 429, gRPC
 * RESOURCE_EXHAUSTED), so guessing is slowed to a trickle. Failures are logged
 * sampled: one line per address per window, with the count, so a flood of wrong
 * tokens is visible without flooding the log.
 *
 * Behind a reverse proxy every client has the proxy's address: one client's
 * failures then slow everyone's sign-in, never a valid bearer token's requests
 * beyond the window (see docs/security.md).
 */
import type { Logger } from "../log/logger.ts";

/** Failed attempts per address allowed in a window before it is refused. */
export const AUTH_MAX_FAILURES = 50;
/** The window, and the sampling interval of the log line. */
export const AUTH_WINDOW_MS = 60_000;
/** Addresses tracked at most; past it, the oldest windows are forgotten first. */
const MAX_TRACKED = 10_000;

interface ClientState {
  windowStart: number;
  failures: number;
  /** Failures since the last log line. */
  unlogged: number;
  loggedAt: number;
}

export interface AuthThrottleOptions {
  log: Logger;
  /** What is being authenticated, for the log line: "HTTP", "gRPC". */
  what: string;
  maxFailures?: number;
  windowMs?: number;
  now?: () => number;
}

export class AuthThrottle {
  readonly #clients = new Map<string, ClientState>();
  readonly #max: number;
  readonly #window: number;
  readonly #now: () => number;
  #flushTimer: Timer | undefined;

  constructor(private readonly opts: AuthThrottleOptions) {
    this.#max = opts.maxFailures ?? AUTH_MAX_FAILURES;
    this.#window = opts.windowMs ?? AUTH_WINDOW_MS;
    this.#now = opts.now ?? Date.now;
  }

  /** 0 when `client` may try to authenticate now, else the ms until it may. */
  blockedFor(client: string): number {
    const s = this.#current(client);
    if (!s || s.failures < this.#max) return 0;
    return Math.max(1, s.windowStart + this.#window - this.#now());
  }

  /** Records one failed authentication by `client`. */
  failed(client: string): void {
    const now = this.#now();
    let s = this.#current(client);
    if (!s) {
      this.#forgetOldest();
      s = { windowStart: now, failures: 0, unlogged: 0, loggedAt: -Infinity };
      this.#clients.set(client, s);
    }
    s.failures++;
    s.unlogged++;
    if (now - s.loggedAt >= this.#window) this.#logOne(client, s, now);
    else this.#scheduleFlush();
  }

  /** Stops the log flush timer (pending counts are logged now). */
  stop(): void {
    clearInterval(this.#flushTimer);
    this.#flushTimer = undefined;
    this.#flush(true);
  }

  /** The client's state with its window renewed if it ended; undefined for a client with no failures kept. */
  #current(client: string): ClientState | undefined {
    const s = this.#clients.get(client);
    if (s && this.#now() - s.windowStart >= this.#window) {
      s.windowStart = this.#now();
      s.failures = 0;
    }
    return s;
  }

  #logOne(client: string, s: ClientState, now: number): void {
    this.opts.log.warn("{count} failed {what} authentication(s) from {client} in the last minute{blocked}", {
      count: s.unlogged,
      what: this.opts.what,
      client,
      blocked: s.failures >= this.#max ? "; refusing it until the minute is over" : "",
    });
    s.unlogged = 0;
    s.loggedAt = now;
  }

  #flush(all = false): void {
    const now = this.#now();
    for (const [client, s] of this.#clients) {
      if (s.unlogged > 0 && (all || now - s.loggedAt >= this.#window)) this.#logOne(client, s, now);
      // Quiet for a whole window and nothing left to log: forget it.
      else if (s.unlogged === 0 && now - s.windowStart >= this.#window && now - s.loggedAt >= this.#window) this.#clients.delete(client);
    }
    if ([...this.#clients.values()].every((s) => s.unlogged === 0)) {
      clearInterval(this.#flushTimer);
      this.#flushTimer = undefined;
    }
  }

  #scheduleFlush(): void {
    if (this.#flushTimer) return;
    this.#flushTimer = setInterval(() => this.#flush(), Math.min(this.#window, 5_000));
    this.#flushTimer.unref?.();
  }

  #forgetOldest(): void {
    if (this.#clients.size < MAX_TRACKED) return;
    const oldest = this.#clients.keys().next().value;
    if (oldest !== undefined) this.#clients.delete(oldest);
  }
}
