/**
 * The open-bind rule for names (SPEC §1): without a token, --http and --grpc may
 * only listen on loopback. A name is resolved and every address it resolves to
 * is judged, so `--http=127.wild.example:8080` that resolves to 0.0.0.0 is refused
 * like `--http=0.0.0.0:8080`. IP literals were judged already by parseConfig().
 */
import { ConfigError, openBindError, type Config, type HostPort } from "./config.ts";
import { isIpLiteral, nonLoopbackAddresses, systemResolver, type Resolver } from "./loopback.ts";

/**
 * A worker without gRPC TLS may dial only loopback coordinators: anywhere else the
 * token and every task (command, env) cross the network in clear, and whoever sits
 * in between can hand the worker commands. --insecure accepts that (a private
 * network the operator trusts). Names are resolved and judged like bind names.
 */
export async function checkPlaintextDial(c: Config, resolve: Resolver = systemResolver): Promise<void> {
  const tls = c.grpcTls.ca !== null || c.grpcTls.cert !== null;
  if (!c.roles.includes("worker") || tls || c.insecure) return;
  for (const address of c.coordinators) {
    const host = address.replace(/:\d+$/, "");
    const why = await nonLoopbackAddresses(host, resolve);
    if (why !== null) {
      throw new ConfigError(
        `--coordinator=${address} is not a loopback address${isIpLiteral(host) ? "" : ` (${why})`} and gRPC has no TLS: the token and tasks would cross the network in clear; set --grpc-tls-ca (see docs/security.md) or pass --insecure`,
      );
    }
  }
}

/** Throws a ConfigError when a tokenless bind name resolves outside loopback (or not at all). */
export async function checkBindNames(c: Config, resolve: Resolver = systemResolver): Promise<void> {
  if (c.insecure) return;
  const binds: [string, HostPort][] = [];
  if (c.roles.includes("scheduler") && !c.token) binds.push(["--http", c.http]);
  // Workers authenticate with the worker token when there is one.
  if (c.roles.includes("coordinator") && !c.token && !c.workerToken) binds.push(["--grpc", c.grpc]);
  for (const [label, addr] of binds) {
    if (isIpLiteral(addr.host)) continue;
    const why = await nonLoopbackAddresses(addr.host, resolve);
    if (why !== null) throw openBindError(label, addr, why);
  }
}
