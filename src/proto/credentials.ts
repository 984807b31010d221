// gRPC transport security and liveness shared by coordinator and worker: credentials
// built from optional TLS file paths, and the keepalive settings both ends use so a
// silently dead connection (a pulled cable, a frozen peer) is noticed in seconds.
import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";

/** Paths to PEM files; all optional. No files means plaintext. */
export interface TlsFiles {
  /** Certificate chain this end presents (server cert; client cert for mutual TLS). */
  cert?: string;
  /** Private key of `cert`. */
  key?: string;
  /** CA bundle: on the server, clients must present a cert it signed (mutual TLS); on the client, it verifies the server. */
  ca?: string;
}

/** Send an HTTP/2 ping after this long without traffic. */
export const KEEPALIVE_TIME_MS = 10_000;
/** Drop the connection when a ping is not answered within this long. */
export const KEEPALIVE_TIMEOUT_MS = 5_000;

/** Channel (client) options: ping even while the stream is idle, so a dead coordinator is noticed. */
export const CHANNEL_KEEPALIVE_OPTIONS: grpc.ChannelOptions = {
  "grpc.keepalive_time_ms": KEEPALIVE_TIME_MS,
  "grpc.keepalive_timeout_ms": KEEPALIVE_TIMEOUT_MS,
  "grpc.keepalive_permit_without_calls": 1,
};

/** Server options: ping each worker connection, so a dead worker's stream ends. */
export const SERVER_KEEPALIVE_OPTIONS: grpc.ServerOptions = {
  "grpc.keepalive_time_ms": KEEPALIVE_TIME_MS,
  "grpc.keepalive_timeout_ms": KEEPALIVE_TIMEOUT_MS,
  "grpc.keepalive_permit_without_calls": 1,
};

/**
 * Server credentials: plaintext without files, TLS with cert+key, mutual TLS when
 * `ca` is also given. Throws one clear line when a file is missing or unreadable.
 * @example
 * server.bindAsync("0.0.0.0:50051", serverCredentials({ cert, key, ca }), callback);
 */
export function serverCredentials(tls: TlsFiles = {}): grpc.ServerCredentials {
  if (!tls.cert && !tls.key && !tls.ca) return grpc.ServerCredentials.createInsecure();
  if (!tls.cert || !tls.key) {
    throw new Error("gRPC TLS on the server needs both a certificate and a key (--grpc-tls-cert and --grpc-tls-key)");
  }
  const keyCertPair = { cert_chain: readPem(tls.cert, "certificate"), private_key: readPem(tls.key, "key") };
  const ca = tls.ca ? readPem(tls.ca, "CA") : null;
  return grpc.ServerCredentials.createSsl(ca, [keyCertPair], ca !== null);
}

/**
 * Channel credentials: plaintext without files; otherwise TLS that verifies the
 * server against `ca` (or the system roots) and presents cert+key when given.
 * @example
 * createCoordinatorClient(address, channelCredentials({ ca }), CHANNEL_KEEPALIVE_OPTIONS);
 */
export function channelCredentials(tls: TlsFiles = {}): grpc.ChannelCredentials {
  if (!tls.cert && !tls.key && !tls.ca) return grpc.credentials.createInsecure();
  if (Boolean(tls.cert) !== Boolean(tls.key)) {
    throw new Error("a gRPC client certificate needs its key and the key its certificate (--grpc-tls-cert and --grpc-tls-key)");
  }
  const ca = tls.ca ? readPem(tls.ca, "CA") : null;
  const key = tls.key ? readPem(tls.key, "key") : null;
  const cert = tls.cert ? readPem(tls.cert, "certificate") : null;
  return grpc.credentials.createSsl(ca, key, cert);
}

/** Reads a PEM file, naming the file and its role when it cannot. */
function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot read the gRPC TLS ${what} file ${JSON.stringify(path)}: ${reason}`, { cause: error });
  }
}
