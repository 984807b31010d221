/**
 * A scripted stand-in for the coordinator, for the worker's tests: a real grpc-js
 * server on loopback that records every stream and message and lets the test reply,
 * end or fail a stream. Not used by taskflow itself.
 */
import * as grpc from "@grpc/grpc-js";
import { serverCredentials } from "../../src/proto/credentials.ts";
import {
  coordinatorService,
  onWorkerMessage,
  type ConnectServerStream,
  type CoordinatorMessage,
  type WorkerMessageOutput,
} from "../../src/proto/index.ts";
import { readBearerToken } from "../../src/proto/metadata.ts";

/** One Connect stream as the fake saw it. */
export interface FakeStream {
  call: ConnectServerStream;
  token: string | undefined;
  messages: WorkerMessageOutput[];
  ended: boolean;
}

export interface FakeOptions {
  /** Welcome each Hello with this id (default `w-N`, N counting streams); null: never welcome. */
  welcome?: ((stream: FakeStream, index: number) => string | null) | null;
  /** Refuse every stream with this status before any message. */
  refuse?: { code: grpc.status; details: string };
}

export class FakeCoordinator {
  readonly streams: FakeStream[] = [];
  #server: grpc.Server | null = null;
  port = 0;

  constructor(private readonly options: FakeOptions = {}) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Listens on `port` (0: any free port). */
  async start(port = 0): Promise<this> {
    const server = new grpc.Server();
    server.addService(coordinatorService, { Connect: (call: ConnectServerStream) => this.#connect(call) });
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, serverCredentials(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.#server = server;
    return this;
  }

  /** Drops every connection at once, as a crashed coordinator would. */
  kill(): void {
    this.#server?.forceShutdown();
    this.#server = null;
  }

  /** The latest stream. */
  get last(): FakeStream | undefined {
    return this.streams.at(-1);
  }

  /** Every message of one kind, across streams, in order. */
  all<K extends keyof WorkerMessageOutput & ("hello" | "heartbeat" | "started" | "finished")>(kind: K): NonNullable<WorkerMessageOutput[K]>[] {
    return this.streams.flatMap((s) => s.messages.flatMap((m) => (m.body === kind && m[kind] ? [m[kind]!] : [])));
  }

  send(message: CoordinatorMessage, stream: FakeStream | undefined = this.last): void {
    stream?.call.write(message);
  }

  /** Fails the stream with a status, as the coordinator does to refuse or close a session. */
  fail(code: grpc.status, details: string, stream: FakeStream | undefined = this.last): void {
    stream?.call.emit("error", { code, details });
  }

  #connect(call: ConnectServerStream): void {
    const stream: FakeStream = { call, token: readBearerToken(call.metadata), messages: [], ended: false };
    const index = this.streams.push(stream) - 1;
    if (this.options.refuse) {
      call.emit("error", this.options.refuse);
      return;
    }
    onWorkerMessage(call, (message) => {
      stream.messages.push(message);
      if (message.body !== "hello") return;
      const welcome = this.options.welcome === undefined ? `w-${index + 1}` : this.options.welcome?.(stream, index);
      if (welcome) call.write({ welcome: { worker_id: welcome, heartbeat_ms: 1000 } });
    });
    call.on("end", () => {
      stream.ended = true;
      call.end();
    });
    call.on("error", () => {});
  }
}
