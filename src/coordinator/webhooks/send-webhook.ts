/**
 * One webhook request: the target checked against the outbound address rules (again at
 * send time, since DNS may have changed since the webhook was created), a 10 s limit on
 * the whole exchange, and redirects followed by hand (at most 3), each target checked
 * the same way, so a public URL cannot bounce the request to a private one.
 */
import { outboundUrlProblem, type Resolve, resolveAll } from "../../core/outbound-address.ts";

export const SEND_TIMEOUT_MS = 10_000;
const MAX_REDIRECTS = 3;
/** How much of the receiver's answer is kept with the attempt. */
export const SNIPPET_BYTES = 1024;

export interface SendOptions {
  allowPrivate: boolean;
  timeoutMs?: number;
  resolve?: Resolve;
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
      const problem = await outboundUrlProblem(target, opts.allowPrivate, opts.resolve ?? resolveAll);
      if (problem) return failed(null, `${hop === 0 ? "URL" : `redirect to ${target}`} refused: ${problem}`, null);
      const res = await fetch(target, { method: "POST", headers, body, redirect: "manual", signal });
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
