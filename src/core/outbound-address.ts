/**
 * Where taskflow may send outbound requests (webhooks). A webhook URL is chosen by an
 * API user, so without a rule it could reach what only the taskflow host can: its
 * loopback services, the cloud metadata address (169.254.169.254), the private network.
 * Unless the operator allows private addresses (--webhook-allow-private), a URL is
 * refused when its host is, or resolves to, any such address.
 */
import { BlockList, isIP } from "node:net";
import { lookup } from "node:dns/promises";

const blocked = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8], // "this network", the unspecified address
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local, cloud metadata
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
] as const) blocked.addSubnet(net, bits, "ipv4");
for (const [net, bits] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["ff00::", 8], // multicast
] as const) blocked.addSubnet(net, bits, "ipv6");

/**
 * True for loopback, link-local, private, unspecified, multicast and reserved addresses
 * (IPv4-mapped and NAT64 IPv6 forms judged by their IPv4 address).
 * @example isPrivateAddress("10.1.2.3") // true
 * @example isPrivateAddress("93.184.215.14") // false
 */
export function isPrivateAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return blocked.check(ip, "ipv4");
  if (family !== 6) return true;
  const embedded = ip.match(/^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/i);
  if (embedded) return blocked.check(embedded[1]!, "ipv4");
  return blocked.check(ip, "ipv6");
}

export type Resolve = (host: string) => Promise<string[]>;

/** The system resolver: every address of `host`. */
export const resolveAll: Resolve = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Why `url` may not be requested, or null when it may. Checks the scheme, then every
 * address its host resolves to (all must be public unless `allowPrivate`).
 */
export async function outboundUrlProblem(url: string, allowPrivate: boolean, resolve: Resolve = resolveAll): Promise<string | null> {
  const checked = await checkOutboundUrl(url, allowPrivate, resolve);
  return checked.ok ? null : checked.problem;
}

/**
 * outboundUrlProblem's check, answering also the address it approved (null when the host
 * was not resolved: private addresses allowed), so a caller can connect to exactly that
 * address rather than resolve the name again.
 */
export async function checkOutboundUrl(
  url: string,
  allowPrivate: boolean,
  resolve: Resolve = resolveAll,
): Promise<{ ok: true; address: string | null } | { ok: false; problem: string }> {
  const problem = (p: string) => ({ ok: false as const, problem: p });
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return problem("must be an absolute http:// or https:// URL");
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return problem("must be an absolute http:// or https:// URL");
  if (parsed.username || parsed.password) return problem("must not carry a user name or password (put a secret in the path or use the webhook's secret)");
  if (allowPrivate) return { ok: true, address: null };
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await resolve(host);
  } catch {
    return problem(`host ${host} does not resolve`);
  }
  const refused = addresses.find(isPrivateAddress);
  if (addresses.length === 0) return problem(`host ${host} does not resolve`);
  if (refused !== undefined) {
    return problem(`${host === refused ? "" : `host ${host} resolves to `}${refused}, a loopback, link-local or private address: refused unless taskflow runs with --webhook-allow-private`);
  }
  return { ok: true, address: addresses[0]! };
}
