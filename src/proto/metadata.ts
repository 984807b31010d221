// The shared token travels as call metadata (`authorization: Bearer TOKEN`), set by
// the worker on its Connect call and checked by the coordinator. Metadata rather than
// call credentials, because grpc-js only sends call credentials over TLS.
import { tokensEqual } from "../core/secrets.ts";
import * as grpc from "@grpc/grpc-js";

/** The metadata key carrying the bearer token (gRPC keys are lowercase). */
export const AUTHORIZATION_METADATA_KEY = "authorization";
const BEARER_PREFIX = "Bearer ";

/**
 * Call metadata carrying `token`; empty metadata when there is no token.
 * @example
 * const stream = client.Connect(bearerTokenMetadata(config.token));
 */
export function bearerTokenMetadata(token: string | undefined): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (token) metadata.set(AUTHORIZATION_METADATA_KEY, BEARER_PREFIX + token);
  return metadata;
}

/**
 * The bearer token a call carries, or undefined when it has none.
 * @example
 * const token = readBearerToken(call.metadata);
 */
export function readBearerToken(metadata: grpc.Metadata): string | undefined {
  const value = metadata.get(AUTHORIZATION_METADATA_KEY)[0];
  if (typeof value !== "string" || !value.startsWith(BEARER_PREFIX)) return undefined;
  return value.slice(BEARER_PREFIX.length);
}

/**
 * True when the call carries exactly `expected`, compared in constant time so the
 * token cannot be guessed byte by byte from response times. Always false for an
 * empty `expected`: check only when a token is configured.
 * @example
 * if (!hasBearerToken(call.metadata, token)) {
 *   call.emit("error", { code: grpc.status.UNAUTHENTICATED, details: "missing or bad token" });
 * }
 */
export function hasBearerToken(metadata: grpc.Metadata, expected: string): boolean {
  return tokensEqual(readBearerToken(metadata) ?? "", expected);
}
