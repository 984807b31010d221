/**
 * Keeps requests from waiting on a database that is away. While PostgreSQL is
 * unreachable (restarting, crashed, cut off), every request that needs it answers
 * 503 with Retry-After within about two seconds, instead of queueing on a pool that
 * is reconnecting or on a connect that may take its full timeout.
 *
 * The gate costs nothing while all is well: it probes only when something suggests
 * an outage (a connection error, or a request still unanswered after a second), on a
 * connection of its own, so a busy pool is never mistaken for a dead server. Once a
 * probe fails the gate is down: requests that need the database are refused before
 * they touch it, requests already waiting are answered 503, and it probes again
 * every half second until the database answers.
 */
import { Elysia } from "elysia";
import { coerceError, UnavailableError } from "../core/errors.ts";
import { requestPath } from "../core/request-path.ts";
import type { Service } from "../core/lifecycle.ts";
import type { Logger } from "../log/logger.ts";
import { isPublicPath } from "./auth/guard.ts";
import { errorBody, RETRY_AFTER_S } from "./http-errors.ts";

/** A probe slower than this means the database is away. */
const PROBE_TIMEOUT_MS = 1000;
/** While down, probe this often. */
const RECHECK_MS = 500;
/** A request still unanswered after this long makes the gate look. */
const SUSPECT_AFTER_MS = 1000;
const UNAVAILABLE_MESSAGE = "the database is unavailable; retry shortly";

/** One round trip to the database within `timeoutMs`, on a connection no request waits on. */
export type DatabaseProbe = (timeoutMs: number) => Promise<void>;

export class DatabaseGate implements Service {
  readonly name = "database-gate";
  #down = false;
  #downSince = 0;
  #checking: Promise<void> | null = null;
  #recheck: Timer | null = null;
  #stopped = false;
  readonly #onDown = new Set<() => void>();

  constructor(
    private readonly probe: DatabaseProbe,
    private readonly log: Logger,
  ) {}

  /** True while the last probe failed: requests that need the database are answered 503 at once. */
  get down(): boolean {
    return this.#down;
  }

  async start(): Promise<void> {
    this.#stopped = false;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#recheck) clearTimeout(this.#recheck);
    this.#recheck = null;
    await this.#checking;
  }

  /** Something suggests the database is away: probe now (one probe at a time). */
  suspect(): void {
    if (this.#stopped) return;
    this.#checking ??= this.#check().finally(() => (this.#checking = null));
  }

  /** Calls `listener` when the gate goes down; returns the function that removes it. */
  onDown(listener: () => void): () => void {
    this.#onDown.add(listener);
    return () => this.#onDown.delete(listener);
  }

  async #check(): Promise<void> {
    try {
      await this.probe(PROBE_TIMEOUT_MS);
      if (this.#down) this.log.info("the database answers again after {ms} ms; serving requests", { ms: Date.now() - this.#downSince });
      this.#down = false;
    } catch (err) {
      if (!this.#down) {
        this.#down = true;
        this.#downSince = Date.now();
        this.log.warn("the database is unavailable ({error}); answering 503 until it is back", { error: coerceError(err).message });
        for (const listener of [...this.#onDown]) listener();
      }
      if (this.#recheck) clearTimeout(this.#recheck);
      if (!this.#stopped) this.#recheck = setTimeout(() => this.suspect(), RECHECK_MS);
    }
  }
}

/** The 503 answer for a request that needs the database while it is away. */
export function unavailableResponse(): Response {
  return Response.json(errorBody("unavailable", UNAVAILABLE_MESSAGE), {
    status: 503,
    headers: { "retry-after": String(RETRY_AFTER_S), "cache-control": "no-store" },
  });
}

/** Paths that never touch the database: liveness, readiness (it asks the gate itself), login, static assets. */
function needsDatabase(path: string): boolean {
  return path !== "/readyz" && !isPublicPath(path);
}

/** Refuses requests that need the database while the gate is down, before routing or reading a body. */
export function databaseGate(gate: DatabaseGate) {
  return new Elysia({ name: "database-gate" }).onRequest(({ request }) => {
    if (gate.down && needsDatabase(requestPath(request.url))) throw new UnavailableError(UNAVAILABLE_MESSAGE);
  });
}

/**
 * Wraps the server's fetch: a request still waiting when the gate goes down is
 * answered 503 then (its work may still finish later: a submit answered 503 can
 * have been committed, which is what idempotency keys are for). A request slow for
 * a second makes the gate probe, so a hang is noticed even when nothing fails.
 */
export function answerWithinOutage(gate: DatabaseGate, handle: (req: Request) => Promise<Response>): (req: Request) => Promise<Response> {
  return async (req) => {
    const answer = handle(req);
    let timer: Timer | undefined;
    let off = () => {};
    const outage = new Promise<Response>((resolve) => {
      timer = setTimeout(() => gate.suspect(), SUSPECT_AFTER_MS);
      off = gate.onDown(() => resolve(unavailableResponse()));
    });
    try {
      return await Promise.race([answer, outage]);
    } finally {
      clearTimeout(timer);
      off();
    }
  };
}
