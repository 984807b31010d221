/** The scheduler's HTTP server as a Service: binds the Elysia app to --http. */
import { coerceError } from "../core/errors.ts";
import type { Elysia } from "elysia";
import type { HostPort } from "../config/config.ts";
import { HTTP_IDLE_TIMEOUT_S_DEFAULT } from "../config/flags.ts";
import type { Service } from "../core/lifecycle.ts";
import type { Logger } from "../log/logger.ts";
import { answerWithinOutage, type DatabaseGate } from "./database-gate.ts";
import { malformedTarget } from "./auth/host-check.ts";
import { errorBody } from "./http-errors.ts";

/** SPEC §3: request bodies over 1 MiB get 413 (enforced by the app: request-body.ts). */
export const MAX_BODY_BYTES = 1024 * 1024;
/**
 * Bun's own limit answers 413 with an empty body, and for a declared length it does
 * so before the app sees the request. It stays far above MAX_BODY_BYTES so the app
 * answers JSON; it only bounds bodies of routes that do not read through request-body.ts.
 */
const BUN_BODY_LIMIT_BYTES = 64 * MAX_BODY_BYTES;

export class HttpServer implements Service {
  readonly name = "http";
  private server: ReturnType<typeof Bun.serve> | null = null;

  constructor(
    // Elysia's generic parameters vary with the plugins used; the server only needs fetch().
    private readonly app: Elysia<any, any, any, any, any, any, any>,
    private readonly addr: HostPort,
    private readonly log: Logger,
    /** `gate`: no request waits on a database that is away (answerWithinOutage); `idleTimeoutSeconds`: --http-idle-timeout, how long a connection may stall before it is closed (SSE streams excepted). */
    private readonly opts: { gate?: DatabaseGate; idleTimeoutSeconds?: number } = {},
  ) {}

  /** The bound port (useful with --http=HOST:0). */
  get port(): number {
    return this.server?.port ?? this.addr.port;
  }

  async start(): Promise<void> {
    const app = async (req: Request) => this.app.fetch(req);
    const handle = this.opts.gate ? answerWithinOutage(this.opts.gate, app) : app;
    try {
      this.server = Bun.serve({
        hostname: this.addr.host,
        port: this.addr.port,
        // A malformed Host or URL is refused before any route builds a URL from it.
        fetch: async (req, server) => {
          const bad = malformedTarget(req);
          if (bad) return bad;
          const res = await handle(req);
          // Only event streams may outlive the idle timeout; they send keep-alive comments.
          if (res.headers.get("content-type")?.startsWith("text/event-stream")) server.timeout(req, 0);
          return res;
        },
        // Never Bun's developer error page (stack, source lines, working directory).
        development: false,
        error: (err) => {
          this.log.error("unexpected error handling a request: {error}", { error: err.stack ?? err.message });
          return Response.json(errorBody("internal", "internal error"), { status: 500 });
        },
        maxRequestBodySize: BUN_BODY_LIMIT_BYTES,
        // A connection that sends nothing (a slow or stalled body, an idle keep-alive) is closed after this.
        idleTimeout: this.opts.idleTimeoutSeconds ?? HTTP_IDLE_TIMEOUT_S_DEFAULT,
      });
    } catch (err) {
      throw new Error(`cannot listen on --http ${this.addr.host}:${this.addr.port}: ${coerceError(err).message}`);
    }
    // Elysia hands `server` to handlers (peer addresses for the auth throttle) only when it knows it.
    this.app.server = this.server;
    this.log.info("HTTP API and dashboard on http://{address}", { address: `${this.addr.host}:${this.server.port}` });
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    // Closing active connections ends SSE streams, which would otherwise hold the stop.
    await s?.stop(true);
  }
}
