/**
 * The open-bind rule for names (SPEC §1): without a token, --http and --grpc may
 * only listen on loopback. A name is resolved and every address it resolves to
 * is judged, so `--http=127.wild.example:8080` that resolves to 0.0.0.0 is refused
 * like `--http=0.0.0.0:8080`. IP literals were judged already by parseConfig().
 */
import { openBindError, type Config, type HostPort } from "./config.ts";
import { isIpLiteral, nonLoopbackAddresses, systemResolver, type Resolver } from "./loopback.ts";

/** Throws a ConfigError when a tokenless bind name resolves outside loopback (or not at all). */
export async function checkBindNames(c: Config, resolve: Resolver = systemResolver): Promise<void> {
  if (c.token || c.insecure) return;
  const binds: [string, HostPort][] = [];
  if (c.roles.includes("scheduler")) binds.push(["--http", c.http]);
  if (c.roles.includes("coordinator")) binds.push(["--grpc", c.grpc]);
  for (const [label, addr] of binds) {
    if (isIpLiteral(addr.host)) continue;
    const why = await nonLoopbackAddresses(addr.host, resolve);
    if (why !== null) throw openBindError(label, addr, why);
  }
}
