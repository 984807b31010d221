/**
 * What "loopback" means, in one place: the name `localhost` (any case, optional
 * trailing dot) and IP addresses in 127.0.0.0/8 or ::1 (IPv4-mapped included),
 * judged as parsed addresses, never by string prefix: `127.0.0.1.evil.example`
 * is a name some attacker controls, not a loopback address.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/** Resolves a name to every address it has (node:dns lookup with `all`); injectable for tests. */
export type Resolver = (host: string) => Promise<string[]>;

export const systemResolver: Resolver = async (host) => (await dnsLookup(host, { all: true })).map((a) => a.address);

/** The address without IPv6 brackets: `[::1]` → `::1`. */
function unbracket(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/**
 * True for an IP literal in 127.0.0.0/8 or ::1; false for anything else, names included.
 * @example isLoopbackAddress("127.1.2.3") // true; isLoopbackAddress("127.0.0.1.evil.example") // false
 */
export function isLoopbackAddress(host: string): boolean {
  const ip = unbracket(host);
  const family = isIP(ip);
  if (family === 0) return false;
  return LOOPBACK.check(ip, family === 4 ? "ipv4" : "ipv6");
}

/** True when `host` is an IP literal (IPv6 with or without brackets). */
export function isIpLiteral(host: string): boolean {
  return isIP(unbracket(host)) !== 0;
}

/**
 * True for a host that names this machine's loopback interface without DNS: the
 * name `localhost` or a loopback IP literal. This is the rule for Host headers.
 * @example isLoopbackName("LOCALHOST.") // true; isLoopbackName("127.evil.example") // false
 */
export function isLoopbackName(host: string): boolean {
  return /^localhost\.?$/i.test(host) || isLoopbackAddress(host);
}

/**
 * The addresses a bind or dial name stands for, each judged: loopback only when
 * every address is. A literal is judged as is; a name is resolved, so a name
 * that resolves to 0.0.0.0 is not loopback whatever it looks like.
 * @returns null when every address is loopback, else the offending addresses (or why it could not resolve)
 */
export async function nonLoopbackAddresses(host: string, resolve: Resolver = systemResolver): Promise<string | null> {
  if (isIpLiteral(host)) return isLoopbackAddress(host) ? null : unbracket(host);
  let addresses: string[];
  try {
    addresses = await resolve(host);
  } catch (err) {
    return `unresolvable: ${(err as { code?: string }).code ?? (err as Error).message}`;
  }
  const outside = addresses.filter((a) => !isLoopbackAddress(a));
  if (addresses.length === 0) return "no addresses";
  return outside.length === 0 ? null : `resolves to ${outside.join(", ")}`;
}
