/**
 * The Connect stream without gRPC, for a worker that runs in its coordinator's own
 * process (`--role=all`, or coordinator+worker): the same two stream objects the
 * coordinator's session code and the worker's connection already use, joined in
 * memory instead of over an HTTP/2 socket on loopback.
 *
 * What crosses is what gRPC would carry: each message goes through the Connect
 * method's own serializer and deserializer (service-definition.ts), so the receiver
 * gets exactly what grpc-js would hand it (defaults filled, oneof `body`, int64 as
 * numbers, bytes as Buffer), and a message grpc-js would refuse is refused here.
 * Deliveries are asynchronous and in order, each direction in its own queue drained
 * in a microtask: nobody's listener runs inside the sender's call, as with a socket.
 *
 * The call follows grpc-js's semantics where the role code relies on them: the
 * worker's `end()` half-closes (the coordinator sees "end", then answers with status
 * OK); the coordinator's `end()` or `emit("error", status)` ends the call with that
 * status; the worker's `cancel()` ends it with CANCELLED and the coordinator sees
 * "cancelled"; `writableNeedDrain` turns true past the object-mode high-water mark.
 * There is no token: a worker in the coordinator's process is trusted.
 *
 * @example
 * const link = new InProcessLink();
 * link.serve((stream) => handleConnect(stream, deps)); // the coordinator
 * const stream = link.connect();                        // the worker
 * stream.write({ hello });
 */
import { EventEmitter } from "node:events";
import * as grpc from "@grpc/grpc-js";
import { coordinatorService, type ConnectClientStream, type ConnectServerStream } from "./index.ts";

/** What getPeer() answers for an in-process stream (recorded where a peer address would be). */
export const IN_PROCESS_PEER = "in-process";
/** Queued, undelivered writes at which the worker's side reports congestion: Node's object-mode default, as on a grpc-js stream. */
const HIGH_WATER_MESSAGES = 16;

const connect = coordinatorService.Connect;

export class InProcessLink {
  #accept: ((stream: ConnectServerStream) => void) | null = null;
  readonly #open = new Set<ServerSide>();

  /**
   * The coordinator serves this link's streams with `accept` from now on (what the
   * gRPC server's Connect handler does for remote workers); null stops serving and
   * ends the streams still open with UNAVAILABLE, as a gRPC server's shutdown does.
   */
  serve(accept: ((stream: ConnectServerStream) => void) | null): void {
    this.#accept = accept;
    if (accept) return;
    for (const server of this.#open) server.emit("error", { code: grpc.status.UNAVAILABLE, details: "coordinator shutting down" });
  }

  /** Opens a stream to the coordinator (the worker's side); it ends at once with UNAVAILABLE when none serves. */
  connect(): ConnectClientStream {
    const toServer = new Mailbox();
    const toClient = new Mailbox();
    const client = new ClientSide(toServer, toClient);
    const server = new ServerSide(toClient, client);
    client.server = server;
    const accept = this.#accept;
    if (!accept) {
      server.emit("error", { code: grpc.status.UNAVAILABLE, details: "no coordinator serves in this process" });
    } else {
      this.#open.add(server);
      server.onClosed = () => this.#open.delete(server);
      // Synchronous, so the coordinator listens before the worker's first write can arrive.
      accept(server as unknown as ConnectServerStream);
    }
    return client as unknown as ConnectClientStream;
  }
}

/** One direction of a stream: deliveries run in order, after the sender's call returns. */
class Mailbox {
  #items: Array<() => void> = [];
  #scheduled = false;

  post(deliver: () => void): void {
    this.#items.push(deliver);
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => this.#drain());
  }

  #drain(): void {
    this.#scheduled = false;
    // Posts made while draining go to a fresh batch, in a later microtask, after these.
    const batch = this.#items;
    this.#items = [];
    let failure: unknown = null;
    for (const deliver of batch) {
      try {
        deliver();
      } catch (err) {
        // A listener that throws must not drop the messages behind it; it still surfaces, once.
        failure ??= err;
      }
    }
    if (failure !== null) throw failure;
  }
}

/** The coordinator's side: a ServerDuplexStream as far as the session code uses one. */
class ServerSide extends EventEmitter {
  readonly metadata = new grpc.Metadata();
  cancelled = false;
  /** Set once the call ended here (a status sent, or the worker cancelled): writes stop. */
  #over = false;
  onClosed: () => void = () => {};

  constructor(
    private readonly toClient: Mailbox,
    private readonly client: ClientSide,
  ) {
    super();
    // As grpc-js: emitting "error" with a status ends the call with that status.
    this.on("error", (err: Partial<grpc.StatusObject> & { message?: string }) =>
      this.#close({ code: err.code ?? grpc.status.UNKNOWN, details: err.details ?? err.message ?? "unknown error" }),
    );
  }

  get destroyed(): boolean {
    return this.#over;
  }

  getPeer(): string {
    return IN_PROCESS_PEER;
  }

  write(message: object): boolean {
    if (this.#over) return false;
    const bytes = connect.responseSerialize(message);
    this.toClient.post(() => this.client.receive(bytes));
    return true;
  }

  /** Ends the call with status OK (grpc-js sends the status once the writes before it are out). */
  end(): void {
    this.#close({ code: grpc.status.OK, details: "OK" });
  }

  receive(bytes: Buffer): void {
    if (!this.#over) this.emit("data", connect.requestDeserialize(bytes));
  }

  receiveEnd(): void {
    if (!this.#over) this.emit("end");
  }

  receiveCancel(): void {
    if (this.#over) return;
    this.#over = true;
    this.cancelled = true;
    this.onClosed();
    this.emit("cancelled");
  }

  #close(status: Omit<grpc.StatusObject, "metadata">): void {
    if (this.#over) return;
    this.#over = true;
    this.onClosed();
    const full: grpc.StatusObject = { ...status, metadata: new grpc.Metadata() };
    this.toClient.post(() => this.client.receiveStatus(full));
  }
}

/** The worker's side: a ClientDuplexStream as far as the worker's connection uses one. */
class ClientSide extends EventEmitter {
  server: ServerSide | null = null;
  /** Set once a status arrived or the worker cancelled: nothing more is delivered here. */
  #over = false;
  #halfClosed = false;
  /** Writes posted and not yet delivered. */
  #queued = 0;

  constructor(
    private readonly toServer: Mailbox,
    private readonly toClient: Mailbox,
  ) {
    super();
  }

  get writableNeedDrain(): boolean {
    return this.#queued >= HIGH_WATER_MESSAGES;
  }

  write(message: object): boolean {
    if (this.#over || this.#halfClosed) return false;
    const bytes = connect.requestSerialize(message);
    this.#queued++;
    this.toServer.post(() => {
      this.#queued--;
      this.server!.receive(bytes);
    });
    return this.#queued < HIGH_WATER_MESSAGES;
  }

  /** Half-closes: the coordinator reads everything written before, then sees "end". */
  end(): void {
    if (this.#over || this.#halfClosed) return;
    this.#halfClosed = true;
    this.toServer.post(() => this.server!.receiveEnd());
  }

  cancel(): void {
    if (this.#over) return;
    this.#over = true;
    this.toServer.post(() => this.server!.receiveCancel());
    this.toClient.post(() => this.#emitStatus({ code: grpc.status.CANCELLED, details: "Cancelled on client", metadata: new grpc.Metadata() }));
  }

  getPeer(): string {
    return IN_PROCESS_PEER;
  }

  receive(bytes: Buffer): void {
    if (!this.#over) this.emit("data", connect.responseDeserialize(bytes));
  }

  receiveStatus(status: grpc.StatusObject): void {
    if (this.#over) return;
    this.#over = true;
    this.#emitStatus(status);
  }

  /** As grpc-js: a non-OK status is an "error" first; "status" always comes. */
  #emitStatus(status: grpc.StatusObject): void {
    if (status.code !== grpc.status.OK) {
      this.emit("error", Object.assign(new Error(`${status.code} ${grpc.status[status.code]}: ${status.details}`), status));
    }
    this.emit("status", status);
  }
}
