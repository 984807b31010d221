/**
 * Serves Prometheus metrics at GET /metrics on the process's `--metrics` address, for the
 * roles that have no HTTP server of their own: coordinators and workers. Each role in the
 * process adds its registry; the process metrics come once. With a token, scrapers must
 * send `Authorization: Bearer TOKEN`, as on the scheduler.
 */
import { Registry } from "prom-client";
import type { HostPort } from "../config/config.ts";
import type { Service } from "../core/lifecycle.ts";
import { tokensEqual } from "../core/secrets.ts";
import type { Logger } from "../log/logger.ts";
import { registerProcessMetrics } from "./process-metrics.ts";
import { requestPath } from "../core/request-path.ts";

export class MetricsServer implements Service {
  readonly name = "metrics-server";
  private server: ReturnType<typeof Bun.serve> | null = null;
  private readonly registries: Registry[] = [];

  constructor(
    private readonly address: HostPort,
    private readonly opts: { token: string | null; log: Logger },
  ) {
    const processRegistry = new Registry();
    registerProcessMetrics(processRegistry);
    this.registries.push(processRegistry);
  }

  /** Serves `registry`'s metrics too (a role's; names must not repeat another's). */
  add(registry: Registry): void {
    this.registries.push(registry);
  }

  /** The bound port (the --metrics port, or the one picked for port 0). */
  get port(): number | undefined {
    return this.server?.port;
  }

  async start(): Promise<void> {
    if (this.server) return;
    this.server = Bun.serve({
      hostname: this.address.host,
      port: this.address.port,
      // Never Bun's developer error page (it shows source and paths).
      development: false,
      fetch: (request) => this.answer(request),
      error: () => new Response("internal error\n", { status: 500 }),
    });
    this.opts.log.info("metrics on http://{host}:{port}/metrics", { host: this.address.host, port: this.server.port });
  }

  async stop(): Promise<void> {
    this.server?.stop(true);
    this.server = null;
  }

  private async answer(request: Request): Promise<Response> {
    const path = requestPath(request.url);
    if (path === "/healthz") return new Response("ok\n");
    if (path !== "/metrics") return new Response("not found: this address serves /metrics\n", { status: 404 });
    if (request.method !== "GET" && request.method !== "HEAD") return new Response("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
    const token = this.opts.token;
    const given = request.headers.get("authorization")?.match(/^Bearer\s+(.+)$/i)?.[1] ?? "";
    if (token && !tokensEqual(given, token)) {
      return new Response("missing or wrong token\n", { status: 401, headers: { "www-authenticate": 'Bearer realm="taskflow"' } });
    }
    const texts = await Promise.all(this.registries.map((r) => r.metrics()));
    return new Response(texts.join(""), { headers: { "content-type": this.registries[0]!.contentType } });
  }
}
