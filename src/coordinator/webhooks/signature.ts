/**
 * Webhook signatures, the Stripe/GitHub convention: the receiver recomputes
 * HMAC-SHA256(secret, "<timestamp>.<raw body>") and compares it in constant time
 * with X-Taskflow-Signature (`sha256=<hex>`), and refuses old timestamps (replays).
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "x-taskflow-signature";
export const TIMESTAMP_HEADER = "x-taskflow-timestamp";

/**
 * @example signWebhook("s3cret", 1767225600, '{"event":"task.failed"}') // "sha256=5f1c…"
 */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** True when `signature` is `body`'s signature at `timestamp` and the timestamp is within `toleranceS` of `nowS`. */
export function verifyWebhook(secret: string, timestamp: number, body: string, signature: string, nowS = Date.now() / 1000, toleranceS = 300): boolean {
  if (!Number.isFinite(timestamp) || Math.abs(nowS - timestamp) > toleranceS) return false;
  const want = Buffer.from(signWebhook(secret, timestamp, body));
  const got = Buffer.from(signature);
  return want.length === got.length && timingSafeEqual(want, got);
}
