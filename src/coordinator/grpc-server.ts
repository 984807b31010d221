/** The coordinator's gRPC server as a Service: the Coordinator stream service plus standard health. */
import * as grpc from "@grpc/grpc-js";
import type { Config } from "../config/config.ts";
import type { Service } from "../core/lifecycle.ts";
import type { Logger } from "../log/logger.ts";
import { serverCredentials, SERVER_KEEPALIVE_OPTIONS } from "../proto/credentials.ts";
import { HealthService } from "../proto/health.ts";
import { coordinatorService, type ConnectServerStream } from "../proto/index.ts";
import type { SessionRegistry } from "./session/session-registry.ts";

/** How long stop() lets calls finish before cutting them. */
const SHUTDOWN_WAIT_MS = 2000;

export class GrpcServer implements Service {
  readonly name = "grpc";
  private server: grpc.Server | null = null;
  private readonly health = new HealthService(["taskflow.v1.Coordinator"]);
  boundPort = 0;

  constructor(
    private readonly config: Pick<Config, "grpc" | "grpcTls">,
    private readonly onConnect: (stream: ConnectServerStream) => void,
    private readonly registry: SessionRegistry,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const server = new grpc.Server({ ...SERVER_KEEPALIVE_OPTIONS, "grpc.max_receive_message_length": 8 * 1024 * 1024 });
    server.addService(coordinatorService, { Connect: this.onConnect });
    this.health.addTo(server);
    const { host, port } = this.config.grpc;
    const address = `${host.includes(":") ? `[${host}]` : host}:${port}`;
    const { cert, key, ca } = this.config.grpcTls;
    const creds = serverCredentials({ cert: cert ?? undefined, key: key ?? undefined, ca: ca ?? undefined });
    this.boundPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(address, creds, (err, p) => (err ? reject(new Error(`cannot listen on --grpc ${address}: ${err.message}`)) : resolve(p))),
    );
    this.server = server;
    const tls = this.config.grpcTls.cert ? (this.config.grpcTls.ca ? "mutual TLS" : "TLS") : "plaintext";
    this.log.info("gRPC for workers on {address} ({tls})", { address: `${host}:${this.boundPort}`, tls });
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    this.health.setServing(false);
    // Ending the streams sends workers to reconnect (to another coordinator, or to us after a restart).
    for (const s of this.registry.all()) s.close(grpc.status.UNAVAILABLE, "coordinator shutting down");
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, SHUTDOWN_WAIT_MS);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
