/**
 * One webhook request: the target checked against the outbound address rules (again at
 * send time, since DNS may have changed since the webhook was created), a 10 s limit on
 * the whole exchange, and redirects followed by hand (at most 3), each target checked
 * the same way, so a public URL cannot bounce the request to a private one. A plain
 * http:// request goes to the very address the check approved (the name in the Host
 * header), so a DNS answer that changes after the check cannot redirect it; https://
 * needs the name for its certificate and resolves it again.
 */
import { checkOutboundUrl, type Resolve, resolveAll } from "../../core/outbound-address.ts";

export const SEND_TIMEOUT_MS = 10_000;
const MAX_REDIRECTS = 3;
/** How much of the receiver's answer is kept with the attempt. */
export const SNIPPET_BYTES = 1024;

export interface SendOptions {
  allowPrivate: boolean;
  timeoutMs?: number;
  resolve?: Resolve;
  /** The HTTP client (tests stand in for the network with it). */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
}

export interface SendResult {
  statusCode: number | null;
  error: string | null;
  responseSnippet: string | null;
  delivered: boolean;
}

export async function sendWebhook(url: string, headers: Record<string, string>, body: string, opts: SendOptions): Promise<SendResult> {
  const signal = AbortSignal.timeout(opts.timeoutMs ?? SEND_TIMEOUT_MS);
  let target = url;
  try {
    for (let hop = 0; ; hop++) {
      const checked = await checkOutboundUrl(target, opts.allowPrivate, opts.resolve ?? resolveAll);
      if (!checked.ok) return failed(null, `${hop === 0 ? "URL" : `redirect to ${target}`} refused: ${checked.problem}`, null);
      const { url: pinned, host } = pinnedRequest(target, checked.address);
      const res = await (opts.fetch ?? fetch)(pinned, { method: "POST", headers: host ? { ...headers, host } : headers, body, redirect: "manual", signal });
      const location = res.headers.get("location");
      if (res.status >= 300 && res.status < 400 && location) {
        await res.body?.cancel();
        if (hop >= MAX_REDIRECTS) return failed(res.status, `more than ${MAX_REDIRECTS} redirects`, null);
        target = new URL(location, target).toString();
        continue;
      }
      const snippet = await readSnippet(res);
      if (res.status >= 200 && res.status < 300) return { statusCode: res.status, error: null, responseSnippet: snippet, delivered: true };
      return failed(res.status, `the receiver answered ${res.status}`, snippet);
    }
  } catch (err) {
    const e = err as Error;
    const timedOut = e?.name === "TimeoutError" || e?.name === "AbortError";
    return failed(null, timedOut ? `no answer within ${opts.timeoutMs ?? SEND_TIMEOUT_MS} ms` : `request failed: ${e?.message ?? String(err)}`, null);
  }
}

/** For http://, the URL with its host replaced by the approved address, and the Host header to send; https:// as is. */
export function pinnedRequest(target: string, address: string | null): { url: string; host: string | null } {
  const url = new URL(target);
  if (url.protocol !== "http:" || address === null || url.hostname.replace(/^\[|\]$/g, "") === address) return { url: target, host: null };
  const host = url.host;
  url.hostname = address.includes(":") ? `[${address}]` : address;
  return { url: url.toString(), host };
}

function failed(statusCode: number | null, error: string, responseSnippet: string | null): SendResult {
  return { statusCode, error, responseSnippet, delivered: false };
}

/** The first SNIPPET_BYTES of the answer, without reading (or waiting for) the rest. */
async function readSnippet(res: Response): Promise<string | null> {
  if (!res.body) return null;
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < SNIPPET_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const bytes = Buffer.concat(chunks).subarray(0, SNIPPET_BYTES);
  return bytes.length ? new TextDecoder().decode(bytes) : null;
}
