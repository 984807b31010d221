/**
 * Why a worker could not reach its coordinator, in words. grpc-js reports a failed
 * dial as a status code plus a detail string built from nested errors ("No
 * connection established. Last error: Error: connect ECONNREFUSED …. Resolution
 * note: "); the worker logs this sentence and keeps the raw text for debug.
 */

/** Known causes, first match wins: a pattern on the raw detail and what it means. */
const CAUSES: [RegExp, string][] = [
  [/ECONNREFUSED|connection refused/i, "connection refused: nothing listens on that port (is the coordinator running, and its port published?)"],
  [/ENOTFOUND|EAI_AGAIN|Name resolution failed|getaddrinfo/i, "the host name does not resolve (check the name and DNS)"],
  [/EHOSTUNREACH|ENETUNREACH|No route to host|network is unreachable/i, "no route to that host (check the address and the network)"],
  [/ETIMEDOUT|timed out|DEADLINE_EXCEEDED|deadline/i, "no answer in time (a firewall dropping packets, or a wrong address)"],
  [/wrong version number|packet length too long|http\/1\.1|unexpected.*(?:frame|protocol)|Protocol error/i, "TLS on one side only: the coordinator and the worker must both use TLS or both not"],
  [/altnames|hostname.*(?:mismatch|does not match)|ERR_TLS_CERT_ALTNAME/i, "the coordinator's certificate does not name this address (dial a name it lists)"],
  [/CERTIFICATE_REQUIRED|certificate required/i, "the coordinator requires a client certificate (mutual TLS): set --grpc-tls-cert and --grpc-tls-key"],
  [/self[- ]signed|unable to (?:verify|get local issuer)|certificate (?:verify|signature)|UNABLE_TO_VERIFY|CERT_/i, "the coordinator's certificate is not trusted (check --grpc-tls-ca)"],
  [/handshake|SSL|TLS|certificate/i, "the TLS handshake failed (check the certificates on both sides)"],
  [/ECONNRESET|Connection dropped|socket hang up|EPIPE|closed|Failed to connect/i, "the connection failed during setup (TLS on one side only, or a proxy in between)"],
];

/**
 * A one-line reason for a failed connection, without grpc-js's nesting.
 * @example
 * connectFailureReason("No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: ")
 * // "connection refused: nothing listens on that port (is the coordinator running, and its port published?)"
 */
export function connectFailureReason(details: string): string {
  for (const [pattern, words] of CAUSES) if (pattern.test(details)) return words;
  const stripped = details
    .replace(/^[A-Z_]+:\s*/, "")
    .replace(/\s*\(\d{4}-\d\d-\d\dT[\d:.]+Z\)/g, "")
    .replace(/^No connection established\.\s*/i, "")
    .replace(/^Last error:\s*/i, "")
    .replace(/^(?:Error:\s*)+/, "")
    .replace(/\.?\s*Resolution note:\s*$/i, "")
    .trim();
  return stripped || "the connection failed without a reason";
}

/**
 * A retry delay as people say it.
 * @example
 * retryIn(85); // "0.1 s"
 * retryIn(12_300); // "12 s"
 */
export function retryIn(ms: number): string {
  const s = ms / 1000;
  return s < 10 ? `${Math.max(0.1, Math.round(s * 10) / 10).toFixed(1)} s` : `${Math.round(s)} s`;
}
