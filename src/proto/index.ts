// The typed gRPC contract between coordinator and worker, loaded at runtime from
// proto/task.proto embedded as text, so it works inside a compiled binary with no
// files beside it. Types come from ./generated (`npm run proto`).
import { isIP } from "node:net";
import * as grpc from "@grpc/grpc-js";
import protoText from "../../proto/task.proto" with { type: "text" };
import type { CoordinatorClient, CoordinatorDefinition } from "./generated/taskflow/v1/Coordinator";
import { serviceDefinition } from "./service-definition.ts";
import type {
  CoordinatorMessage,
  CoordinatorMessage__Output as CoordinatorMessageOutput,
} from "./generated/taskflow/v1/CoordinatorMessage";
import type { WorkerMessage, WorkerMessage__Output as WorkerMessageOutput } from "./generated/taskflow/v1/WorkerMessage";

// The casts in the contract: grpc-js builds untyped objects; the generated
// Coordinator types describe them.
const definition = serviceDefinition(protoText, "taskflow.v1.Coordinator");
const CoordinatorClientConstructor = grpc.makeClientConstructor(definition, "taskflow.v1.Coordinator") as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ClientOptions,
) => CoordinatorClient;

/** The Coordinator service definition, for `server.addService(coordinatorService, handlers)`. */
export const coordinatorService = definition as unknown as CoordinatorDefinition;

/**
 * Creates a typed Coordinator client (a worker's connection to a coordinator).
 * @example
 * const client = createCoordinatorClient("127.0.0.1:50051", channelCredentials({}), CHANNEL_KEEPALIVE_OPTIONS);
 * const stream: ConnectClientStream = client.Connect(bearerTokenMetadata(token));
 */
export function createCoordinatorClient(
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ClientOptions,
): CoordinatorClient {
  if (credentials._isSecure()) assertTlsHostName(address);
  return new CoordinatorClientConstructor(address, credentials, options);
}

/**
 * grpc-js sends the target host as the TLS server name and Bun refuses an IP address
 * there (RFC 6066), so a TLS channel to "10.0.0.5:50051" would retry forever: fail
 * fast instead, naming the fix.
 */
function assertTlsHostName(address: string): void {
  const target = address.replace(/^dns:(\/\/[^/]*\/)?/, "");
  const host = target.startsWith("[") ? target.slice(1, target.indexOf("]")) : target.replace(/:\d+$/, "");
  if (isIP(host)) {
    throw new Error(
      `gRPC over TLS needs a host name in the coordinator address, not the IP address ${host}: use a name the server certificate lists (e.g. localhost)`,
    );
  }
}

export type {
  CoordinatorClient,
  CoordinatorDefinition,
  CoordinatorHandlers,
} from "./generated/taskflow/v1/Coordinator";

/** The coordinator's side of one worker's Connect stream: reads WorkerMessageOutput, writes CoordinatorMessage. */
export type ConnectServerStream = grpc.ServerDuplexStream<WorkerMessageOutput, CoordinatorMessage>;
/** The worker's side of its Connect stream: writes WorkerMessage, reads CoordinatorMessageOutput. */
export type ConnectClientStream = grpc.ClientDuplexStream<WorkerMessage, CoordinatorMessageOutput>;

// grpc-js types `write` on these streams but leaves `on("data")` as any, so these two
// give role code checked message types without annotating (or casting) the listener.

/**
 * Calls `handler` with each message a worker sends up its Connect stream.
 * @example
 * onWorkerMessage(call, (message) => { if (message.hello) welcome(message.hello.name); });
 */
export function onWorkerMessage(call: ConnectServerStream, handler: (message: WorkerMessageOutput) => void): void {
  call.on("data", handler);
}

/**
 * Calls `handler` with each message the coordinator sends down the Connect stream.
 * @example
 * onCoordinatorMessage(stream, (message) => { if (message.dispatch) run(message.dispatch); });
 */
export function onCoordinatorMessage(stream: ConnectClientStream, handler: (message: CoordinatorMessageOutput) => void): void {
  stream.on("data", handler);
}

// Message types. `X` is what you send (every field optional, loose int64/bytes);
// `XOutput` is what you receive (defaults filled, int64 as number, bytes as Buffer).
export type {
  WorkerMessage,
  WorkerMessage__Output as WorkerMessageOutput,
} from "./generated/taskflow/v1/WorkerMessage";
export type {
  CoordinatorMessage,
  CoordinatorMessage__Output as CoordinatorMessageOutput,
} from "./generated/taskflow/v1/CoordinatorMessage";
export type { Hello, Hello__Output as HelloOutput } from "./generated/taskflow/v1/Hello";
export type { Heartbeat, Heartbeat__Output as HeartbeatOutput } from "./generated/taskflow/v1/Heartbeat";
export type { TaskStarted, TaskStarted__Output as TaskStartedOutput } from "./generated/taskflow/v1/TaskStarted";
export type { TaskFinished, TaskFinished__Output as TaskFinishedOutput } from "./generated/taskflow/v1/TaskFinished";
export type { Dispatch, Dispatch__Output as DispatchOutput } from "./generated/taskflow/v1/Dispatch";
export type { Cancel, Cancel__Output as CancelOutput } from "./generated/taskflow/v1/Cancel";
export type { Drain, Drain__Output as DrainOutput } from "./generated/taskflow/v1/Drain";
export type { Welcome, Welcome__Output as WelcomeOutput } from "./generated/taskflow/v1/Welcome";
export type { RunningTask, RunningTask__Output as RunningTaskOutput } from "./generated/taskflow/v1/RunningTask";
export type { TaskOutput, TaskOutput__Output as TaskOutputOutput } from "./generated/taskflow/v1/TaskOutput";
export type { OutputChunk, OutputChunk__Output as OutputChunkOutput } from "./generated/taskflow/v1/OutputChunk";
