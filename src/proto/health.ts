/**
 * The standard gRPC health service (grpc.health.v1), loaded from proto/health.proto
 * embedded in the binary. Small enough to serve by hand: Check answers the current
 * status; Watch sends it and every change.
 */
import * as grpc from "@grpc/grpc-js";
import healthProtoText from "../../proto/health.proto" with { type: "text" };
import { serviceDefinition } from "./service-definition.ts";

type ServingStatus = "SERVING" | "NOT_SERVING" | "SERVICE_UNKNOWN";

/** The Health client constructor (for tests and probes). */
export const HealthClient = grpc.makeClientConstructor(serviceDefinition(healthProtoText, "grpc.health.v1.Health"), "grpc.health.v1.Health");

export class HealthService {
  private status: ServingStatus = "SERVING";
  private readonly watchers = new Set<grpc.ServerWritableStream<{ service: string }, { status: string }>>();

  /** Services known besides "" (the whole server). */
  constructor(private readonly services: string[]) {}

  setServing(serving: boolean): void {
    this.status = serving ? "SERVING" : "NOT_SERVING";
    for (const w of this.watchers) w.write({ status: this.statusOf(w.request.service) });
  }

  addTo(server: grpc.Server): void {
    server.addService(HealthClient.service, {
      Check: (call: grpc.ServerUnaryCall<{ service: string }, { status: string }>, cb: grpc.sendUnaryData<{ status: string }>) => {
        const status = this.statusOf(call.request.service);
        if (status === "SERVICE_UNKNOWN") return cb({ code: grpc.status.NOT_FOUND, details: "unknown service" });
        cb(null, { status });
      },
      Watch: (call: grpc.ServerWritableStream<{ service: string }, { status: string }>) => {
        this.watchers.add(call);
        call.write({ status: this.statusOf(call.request.service) });
        call.on("cancelled", () => this.watchers.delete(call));
      },
    });
  }

  private statusOf(service: string): ServingStatus {
    if (service === "" || this.services.includes(service)) return this.status;
    return "SERVICE_UNKNOWN";
  }
}
