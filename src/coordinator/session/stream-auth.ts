/**
 * The gate of a worker's Connect stream: the token in its call metadata, checked
 * in constant time, with failed attempts counted per peer address (AuthThrottle:
 * past the limit a peer is refused with RESOURCE_EXHAUSTED before its token is
 * checked, and failures are logged sampled, one line per peer per minute).
 */
import * as grpc from "@grpc/grpc-js";
import type { AuthThrottle } from "../../core/auth-throttle.ts";
import { hasBearerToken } from "../../proto/metadata.ts";
import type { ConnectServerStream } from "../../proto/index.ts";

export interface StreamAuth {
  /** The token workers must present; null: none needed. */
  token: string | null;
  throttle?: AuthThrottle;
}

/** The address of a gRPC peer without its port: `ipv4:127.0.0.1:5000` → `127.0.0.1`. */
export function peerAddress(peer: string): string {
  const bare = peer.replace(/^ipv[46]:/, "");
  const v6 = bare.match(/^\[([^\]]+)\]/);
  if (v6) return v6[1]!;
  return bare.replace(/:\d+$/, "");
}

/** True when the stream may proceed; otherwise it was ended with UNAUTHENTICATED or RESOURCE_EXHAUSTED. */
export function authenticateStream(stream: ConnectServerStream, auth: StreamAuth): boolean {
  if (!auth.token) return true;
  const peer = peerAddress(stream.getPeer());
  const wait = auth.throttle?.blockedFor(peer) ?? 0;
  if (wait > 0) {
    stream.emit("error", { code: grpc.status.RESOURCE_EXHAUSTED, details: `too many failed authentications from ${peer}; retry in ${Math.ceil(wait / 1000)} s` });
    return false;
  }
  if (hasBearerToken(stream.metadata, auth.token)) return true;
  auth.throttle?.failed(peer);
  stream.emit("error", { code: grpc.status.UNAUTHENTICATED, details: "missing or wrong token" });
  return false;
}
