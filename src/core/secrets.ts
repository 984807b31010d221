/** Comparing secrets (the shared token) without leaking them through timing. */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** Per-process key for comparing secrets as fixed-length digests (no length leak, no early exit). */
const COMPARE_KEY = randomBytes(32);

/**
 * Compares two secrets in constant time, whatever their lengths. An empty
 * `expected` never matches: fail closed when no token is configured.
 * @example tokensEqual(given, config.token) // true only for the exact token
 */
export function tokensEqual(given: string, expected: string): boolean {
  if (!expected) return false;
  const a = createHmac("sha256", COMPARE_KEY).update(given).digest();
  const b = createHmac("sha256", COMPARE_KEY).update(expected).digest();
  return timingSafeEqual(a, b);
}
