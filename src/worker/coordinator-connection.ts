/**
 * The worker's link to its coordinator: dials the configured addresses in turn,
 * opens the Connect stream, says Hello, waits for Welcome, and dials again with
 * backoff whenever the stream ends, until closed. Each dial uses a fresh client:
 * a reused grpc-js channel waits out its own reconnect backoff (seconds) before it
 * notices that a restarted coordinator is back. A worker in its coordinator's own
 * process dials through an InProcessLink instead (proto/in-process-link.ts): the
 * same stream and messages, no socket and no token.
 */
import { coerceError } from "../core/errors.ts";
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "../log/logger.ts";
import { CHANNEL_KEEPALIVE_OPTIONS } from "../proto/credentials.ts";
import {
  createCoordinatorClient,
  onCoordinatorMessage,
  type ConnectClientStream,
  type CoordinatorClient,
  type CoordinatorMessageOutput,
  type Hello,
  type WorkerMessage,
} from "../proto/index.ts";
import { IN_PROCESS_PEER, type InProcessLink } from "../proto/in-process-link.ts";
import { bearerTokenMetadata } from "../proto/metadata.ts";
import { connectFailureReason, retryIn } from "./connect-failure.ts";
import { reconnectDelayMs } from "./reconnect-backoff.ts";
import { plural } from "../core/plural.ts";

/** A stream that is open but not welcomed within this long is given up (a wedged or wrong peer). */
export const WELCOME_TIMEOUT_MS = 10_000;
/** While the coordinator stays unreachable, log every this-many failed dials (plus the first and any change). */
const FAILURE_LOG_EVERY = 10;

export interface ConnectionEvents {
  /** The Hello for a new stream; built at each dial, since running attempts change. */
  hello(): Hello;
  /** The coordinator welcomed this worker: the stream is ready. */
  welcomed(workerId: string): void;
  /** A Dispatch, Cancel or Drain on the ready stream. */
  message(message: CoordinatorMessageOutput): void;
  /** The ready stream ended other than by a clean close(): what was written on it may not have arrived. */
  lost(): void;
  /** The coordinator declared this worker's session dead: its live attempts were failed and handed out again. */
  declaredDead?(): void;
}

export interface ConnectionOptions {
  /** Coordinator addresses (HOST:PORT), tried in turn. */
  addresses: string[];
  credentials: grpc.ChannelCredentials;
  token: string | undefined;
  log: Logger;
  events: ConnectionEvents;
  random?: () => number;
  /** This process's coordinator: dial it in memory instead of over gRPC (`addresses` are then only named in logs). */
  link?: InProcessLink | null;
}

/** What a dial closes when it ends: the gRPC client (its channel), or nothing for an in-process stream. */
type DialClient = Pick<CoordinatorClient, "close">;

/** One dial: its client and stream, and how far it got. */
interface Dial {
  address: string;
  client: DialClient;
  stream: ConnectClientStream;
  welcomed: boolean;
  ended: boolean;
  onEnd: Array<(status: grpc.StatusObject) => void>;
  /** When the coordinator was last heard (performance.now()), for the silence watchdog. */
  lastHeardMs: number;
  silenceWatch?: Timer;
}

export class CoordinatorConnection {
  #dial: Dial | null = null;
  #closed = false;
  #started = false;
  #addressIndex = 0;
  /** Dials in a row that never reached a Welcome. */
  #failures = 0;
  #lastFailure = "";
  #retryTimer: Timer | undefined;
  #welcomeTimer: Timer | undefined;
  #readyWaiters: Array<() => void> = [];

  constructor(private readonly opts: ConnectionOptions) {}

  /** True while a welcomed stream is open. */
  get ready(): boolean {
    return this.#dial?.welcomed === true && !this.#dial.ended;
  }

  /** True while the ready stream holds back writes (grpc-js's buffer is past its high-water mark). */
  get congested(): boolean {
    return this.#dial?.stream.writableNeedDrain === true;
  }

  /** Starts dialing; returns at once (the coordinator need not be up). */
  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    this.#connect();
  }

  /** Dials now instead of waiting out the backoff, unless a dial is under way or done. */
  dialNow(): void {
    if (this.#closed || !this.#started || (this.#dial && !this.#dial.ended)) return;
    clearTimeout(this.#retryTimer);
    this.#connect();
  }

  /** Writes on the ready stream; false (nothing written) when there is none. */
  send(message: WorkerMessage): boolean {
    const dial = this.#dial;
    if (!dial || !this.ready) return false;
    try {
      dial.stream.write(message);
      return true;
    } catch (err) {
      this.opts.log.warn("writing to coordinator {address} failed: {error}", { address: dial.address, error: describe(err) });
      return false;
    }
  }

  /** Resolves true once a stream is ready, or false after `timeoutMs` or when closed. */
  whenReady(timeoutMs: number): Promise<boolean> {
    if (this.ready) return Promise.resolve(true);
    if (this.#closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = () => {
        clearTimeout(timer);
        resolve(this.ready);
      };
      const timer = setTimeout(() => {
        this.#readyWaiters = this.#readyWaiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.#readyWaiters.push(waiter);
    });
  }

  /**
   * Stops dialing and ends the stream: half-closes it and waits (up to `timeoutMs`)
   * for the coordinator's status. True when it ended cleanly, which proves the
   * coordinator read everything written before. Safe to call twice.
   */
  async close(timeoutMs: number): Promise<boolean> {
    const first = !this.#closed;
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#wakeReadyWaiters();
    const dial = this.#dial;
    if (!dial || dial.ended) return false;
    if (!dial.welcomed) {
      this.#abandon(dial);
      return false;
    }
    let timer: Timer | undefined;
    const ended = new Promise<grpc.StatusObject | null>((resolve) => {
      dial.onEnd.push(resolve);
      timer = setTimeout(() => resolve(null), timeoutMs);
    });
    if (first) dial.stream.end();
    const status = await ended;
    clearTimeout(timer);
    if (!status) this.#abandon(dial);
    return status?.code === grpc.status.OK;
  }

  #connect(): void {
    if (this.#closed) return;
    const link = this.opts.link;
    const address = link ? IN_PROCESS_PEER : this.opts.addresses[this.#addressIndex % this.opts.addresses.length]!;
    let client: DialClient;
    let stream: ConnectClientStream;
    try {
      if (link) {
        client = { close: () => {} };
        stream = link.connect();
      } else {
        const grpcClient = createCoordinatorClient(address, this.opts.credentials, CHANNEL_KEEPALIVE_OPTIONS);
        client = grpcClient;
        stream = grpcClient.Connect(bearerTokenMetadata(this.opts.token));
      }
    } catch (err) {
      // Not a network failure (those arrive as a status): a bad address or TLS setup.
      this.#retry(address, false, { code: grpc.status.INVALID_ARGUMENT, details: describe(err) });
      return;
    }
    const dial: Dial = { address, client, stream, welcomed: false, ended: false, onEnd: [], lastHeardMs: performance.now() };
    this.#dial = dial;
    onCoordinatorMessage(stream, (message) => this.#onMessage(dial, message));
    // grpc-js emits "error" (for a non-OK status) and then "status"; "status" always comes,
    // so it alone ends the dial. The listener keeps an unhandled "error" from throwing.
    stream.on("error", () => {});
    stream.on("status", (status: grpc.StatusObject) => this.#onStatus(dial, status));
    clearTimeout(this.#welcomeTimer);
    this.#welcomeTimer = setTimeout(() => {
      if (!dial.welcomed && !dial.ended) {
        this.opts.log.warn("coordinator {address} did not welcome this worker within {ms} ms; trying again", { address, ms: WELCOME_TIMEOUT_MS });
        dial.stream.cancel();
      }
    }, WELCOME_TIMEOUT_MS);
    stream.write({ hello: this.opts.events.hello() });
  }

  #onMessage(dial: Dial, message: CoordinatorMessageOutput): void {
    if (dial !== this.#dial || dial.ended) return;
    dial.lastHeardMs = performance.now();
    if (message.body === "heartbeat_ack") return;
    if (message.body === "welcome" && message.welcome) {
      if (dial.welcomed) return;
      dial.welcomed = true;
      clearTimeout(this.#welcomeTimer);
      this.#watchSilence(dial, message.welcome.worker_timeout_ms);
      const { log } = this.opts;
      const details = { address: dial.address, workerId: message.welcome.worker_id, failures: this.#failures };
      if (this.#failures > 0) log.info("connected to coordinator {address} as worker {workerId} after {failed}", { ...details, failed: plural(this.#failures, "failed try", "failed tries") });
      else log.info("connected to coordinator {address} as worker {workerId}", details);
      this.#failures = 0;
      this.#lastFailure = "";
      this.opts.events.welcomed(message.welcome.worker_id);
      this.#wakeReadyWaiters();
      return;
    }
    if (dial.welcomed) this.opts.events.message(message);
  }

  /**
   * Self-fencing: the coordinator acknowledges every heartbeat, so hearing nothing for
   * a whole worker timeout means this worker is cut off and its session is being
   * declared dead (its attempts retried elsewhere). Stop the attempts now, rather than
   * when gRPC keepalive notices, so two runs of a task never overlap for long.
   */
  #watchSilence(dial: Dial, limitMs: number): void {
    if (!limitMs) return;
    dial.silenceWatch = setInterval(() => {
      const silentMs = performance.now() - dial.lastHeardMs;
      if (dial.ended || silentMs <= limitMs) return;
      clearInterval(dial.silenceWatch);
      this.opts.log.warn("coordinator {address} silent for {ms} ms: this session is being declared dead; stopping running tasks and reconnecting", {
        address: dial.address,
        ms: Math.round(silentMs),
      });
      this.opts.events.declaredDead?.();
      dial.stream.cancel();
    }, Math.max(50, Math.floor(limitMs / 10)));
  }

  #onStatus(dial: Dial, status: grpc.StatusObject): void {
    if (dial.ended) return;
    dial.ended = true;
    clearInterval(dial.silenceWatch);
    dial.client.close();
    for (const resolve of dial.onEnd.splice(0)) resolve(status);
    if (dial !== this.#dial) return;
    clearTimeout(this.#welcomeTimer);
    // A clean end we asked for delivered everything; any other end may have lost writes.
    const cleanClose = this.#closed && status.code === grpc.status.OK;
    if (dial.welcomed && !cleanClose) this.opts.events.lost();
    if (this.#closed) return;
    this.#retry(dial.address, dial.welcomed, status);
  }

  /** Plans the next dial after one ended: when, where, and what to log. */
  #retry(address: string, wasWelcomed: boolean, status: Pick<grpc.StatusObject, "code" | "details">): void {
    const { log } = this.opts;
    const reason = `${grpc.status[status.code] ?? status.code}: ${status.details}`;
    let delay: number;
    if (status.code === grpc.status.FAILED_PRECONDITION) {
      // Declared dead: come back at once as a new session on the same coordinator; it
      // cancels the attempts that are no longer ours.
      log.warn("coordinator {address} ended this worker's session ({reason}); reconnecting as a new session", { address, reason });
      this.#failures = 0;
      delay = 0;
      this.opts.events.declaredDead?.();
    } else if (wasWelcomed) {
      log.warn("lost coordinator {address} ({why}); reconnecting", { address, why: connectFailureReason(status.details) });
      log.debug("lost coordinator {address} ({reason})", { address, reason });
      this.#failures = 1;
      this.#addressIndex++;
      delay = reconnectDelayMs(this.#failures, this.opts.random);
    } else {
      this.#failures++;
      this.#addressIndex++;
      delay = reconnectDelayMs(this.#failures, this.opts.random);
      this.#logFailure(address, status.code, reason, delay);
    }
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.#connect(), delay);
  }

  /** Every refused token; other failures only when they start, change, or every FAILURE_LOG_EVERY-th time. */
  #logFailure(address: string, code: number, reason: string, delay: number): void {
    const { log } = this.opts;
    const details = { address, reason, failures: this.#failures, retryMs: delay, retryIn: retryIn(delay) };
    if (code === grpc.status.UNAUTHENTICATED) {
      log.error("coordinator {address} refused this worker's token ({reason}): check --worker-token (TASKFLOW_WORKER_TOKEN) or --token (TASKFLOW_TOKEN); retrying", details);
      return;
    }
    // Compared in words: grpc-js puts a timestamp into some details.
    const why = connectFailureReason(reason);
    const changed = why !== this.#lastFailure;
    this.#lastFailure = why;
    const loud = this.#failures === 1 || changed || this.#failures % FAILURE_LOG_EVERY === 0;
    // The words at warn; grpc-js's nested detail only for whoever debugs.
    const words = { address, why, failures: this.#failures, retryMs: delay, retryIn: details.retryIn };
    if (loud) log.warn("cannot reach coordinator {address}: {why}; next try in {retryIn}", words);
    log.debug("cannot reach coordinator {address} ({reason}); attempt {failures}, next try in {retryIn}", details);
  }

  /** Drops a dial without waiting for its status. */
  #abandon(dial: Dial): void {
    clearInterval(dial.silenceWatch);
    try {
      dial.stream.cancel();
    } finally {
      dial.client.close();
    }
  }

  #wakeReadyWaiters(): void {
    for (const w of this.#readyWaiters.splice(0)) w();
  }
}

function describe(err: unknown): string {
  return coerceError(err).message;
}
